using System.Security.Cryptography;
using System.Text;

namespace PgHa.Core;

/// <summary>
/// The key every monitor signs its requests and replies with (HMAC-SHA256), read from a file of its own that
/// only its owner may read, distributed like a .pgpass file. The file holds the key as one line of base64
/// (at least 32 bytes of randomness). The key never leaves this object: no property, no ToString, no message
/// shows it; messages name the file.
/// </summary>
internal sealed class ClusterSecret
{
    /// <summary>At least 256 bits: the strength of HMAC-SHA256's key.</summary>
    public const int MinimumBytes = 32;

    /// <summary>What New-PgHaSandbox (and <see cref="Create"/>) writes: more than the minimum costs nothing.</summary>
    public const int CreatedBytes = 48;

    private readonly byte[] _key;

    private ClusterSecret(string path, byte[] key)
    {
        Path = path;
        _key = key;
    }

    /// <summary>The file the key came from (for messages).</summary>
    public string Path { get; }

    public override string ToString() => $"cluster secret from {Path}";

    /// <summary>A key for tests and for callers that already hold the bytes.</summary>
    internal static ClusterSecret FromBytes(byte[] key, string origin = "(memory)")
    {
        if (key.Length < MinimumBytes)
        {
            throw new ArgumentException($"A cluster secret has at least {MinimumBytes} bytes.", nameof(key));
        }
        return new ClusterSecret(origin, (byte[])key.Clone());
    }

    public byte[] Mac(ReadOnlySpan<byte> data) => HMACSHA256.HashData(_key, data);

    /// <summary>Compares in constant time, so that the time a refusal takes tells nothing about how much of a MAC was right.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> mac) =>
        mac.Length == HMACSHA256.HashSizeInBytes && CryptographicOperations.FixedTimeEquals(Mac(data), mac);

    /// <summary>Reads the key; refuses a missing, unreadable, short or group/world-readable file with a message that says what to do.</summary>
    public static ClusterSecret Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new PgHaException(PgHaErrorIds.ClusterSecretMissing, path,
                $"There is no cluster secret at {MessageText.Quote(path)}. Monitors sign what they say to each other with it. Create it once " +
                $"(New-PgHaSandbox makes one for a sandbox; otherwise: umask 077; openssl rand -base64 {CreatedBytes} > {MessageText.Quote(path)}), " +
                "copy it to every node's monitor user (mode 0600, like a .pgpass file), or point -SecretFile (or $env:" + ClusterSecretLocation.EnvironmentVariable + ") at it.");
        }
        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode = File.GetUnixFileMode(path);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & others) != 0)
            {
                throw new PgHaException(PgHaErrorIds.ClusterSecretExposed, path,
                    $"The cluster secret '{path}' may be read or written by other users (mode {Convert.ToString((int)mode, 8)}). Anyone who can read it can pause " +
                    $"the monitors and steer their elections: make it readable by its owner only (chmod 600 '{path}'), and if others may have read it, create a new one for every node.");
            }
        }
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PgHaException(PgHaErrorIds.ClusterSecretUnreadable, path,
                $"The cluster secret '{path}' cannot be read ({ex.Message}). It must belong to the user the monitor runs as (chmod 600, chown to that user).", ex);
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            key = [];
        }
        if (key.Length < MinimumBytes)
        {
            // The text is not repeated in the message: it is the secret, or a mangled copy of it.
            throw new PgHaException(PgHaErrorIds.ClusterSecretInvalid, path,
                $"The cluster secret '{path}' is not one line of base64 holding at least {MinimumBytes} bytes. Create a new one (openssl rand -base64 {CreatedBytes}) and copy it to every node.");
        }
        return new ClusterSecret(path, key);
    }

    /// <summary>Writes a new random key to <paramref name="path"/>, readable by its owner only; an existing file is never overwritten.</summary>
    public static ClusterSecret Create(string path)
    {
        string? directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        byte[] key = RandomNumberGenerator.GetBytes(CreatedBytes);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Created 0600: there is no moment at which another user could open it.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n"));
            stream.Flush(flushToDisk: true);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new PgHaException(PgHaErrorIds.ClusterSecretExists, path,
                $"A cluster secret already exists at '{path}'; it is never overwritten (the other nodes hold a copy). Use it, or remove it first.", ex);
        }
        return new ClusterSecret(path, key);
    }
}
