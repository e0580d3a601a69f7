using System.Globalization;
using System.Runtime.InteropServices;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Writes a local node's standby.signal from the monitor's own process, durably: the file is created
/// (mode 0600, owned like the postmaster), fsynced, and its directory fsynced, before anything signals the
/// server. Used by fencing, where starting a program (runuser, sh) on a loaded host may take seconds.
/// </summary>
internal static class DurableSignal
{
    /// <summary>True when the file is in place and on disk; false when this process may not write it there (the caller falls back to the node's transport).</summary>
    public static bool TryPlace(string path, int postmasterPid)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }
        try
        {
            using (var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
            {
                stream.Flush(flushToDisk: true);
            }
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            if (OwnerOf(postmasterPid) is { } owner && Chown(path, owner.Uid, owner.Gid) != 0)
            {
                return false; // a root-owned signal the server cannot remove at its promotion: let the transport write it as postgres
            }
            return FsyncDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The real uid and gid of a process, from /proc (the data directory's owner is the postmaster's user).</summary>
    private static (uint Uid, uint Gid)? OwnerOf(int pid)
    {
        uint? uid = null, gid = null;
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                uid = FirstField(line);
            }
            else if (line.StartsWith("Gid:", StringComparison.Ordinal))
            {
                gid = FirstField(line);
            }
        }
        return uid is { } u && gid is { } g ? (u, g) : null;
    }

    private static uint FirstField(string line) =>
        uint.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static bool FsyncDirectory(string directory)
    {
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return false;
        }
        try
        {
            return Fsync(fd) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int Chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
