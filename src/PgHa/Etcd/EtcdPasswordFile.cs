using System.Text;
using PgHa.Core;

namespace PgHa.Etcd;

/// <summary>
/// An etcd user's password kept in a file of its own (node configuration Etcd.PasswordFile), the way a .pgpass
/// file keeps database passwords: readable by its owner only, the password on its first line. Only the file's
/// name ever appears in a message.
/// </summary>
internal static class EtcdPasswordFile
{
    public static string Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new PgHaException(PgHaErrorIds.EtcdPasswordFileInvalid, path,
                $"There is no etcd password file at '{path}'. Write the etcd user's password there (umask 077; printf '%s\\n' 'PASSWORD' > '{path}'), or give -EtcdCredential instead.");
        }
        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            UnixFileMode mode = File.GetUnixFileMode(path);
            if ((mode & others) != 0)
            {
                throw new PgHaException(PgHaErrorIds.EtcdPasswordFileExposed, path,
                    $"The etcd password file '{path}' may be read or written by other users (mode {Convert.ToString((int)mode, 8)}). Make it readable by its owner only "
                    + $"(chmod 600 '{path}'), and if others may have read it, change the etcd user's password (etcdctl user passwd).");
            }
        }
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PgHaException(PgHaErrorIds.EtcdPasswordFileInvalid, path,
                $"The etcd password file '{path}' cannot be read ({ex.Message}). It must belong to the user PgHa runs as (chown that user, chmod 600).", ex);
        }
        // The first line, without its line end: a password may hold spaces, so nothing else is trimmed.
        string password = text.Split('\n', 2)[0].TrimEnd('\r');
        if (password.Length == 0)
        {
            throw new PgHaException(PgHaErrorIds.EtcdPasswordFileInvalid, path,
                $"The etcd password file '{path}' is empty or its first line is. Put the etcd user's password on the first line.");
        }
        return password;
    }
}
