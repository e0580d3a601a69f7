using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace PgHa.Transport;

/// <summary>
/// OpenSSH's known_hosts format: "[marker] patterns keytype base64 [comment]", patterns being
/// comma-separated names ("[host]:port" for ports other than 22), wildcards (* ?), negations (!)
/// or a hashed name ("|1|salt|hmac-sha1"). Read fresh on every check, so edits by ssh-keygen -R or
/// ssh-keyscan apply at once.
/// </summary>
internal sealed class KnownHostsFile
{
    private readonly List<Entry> _entries;

    private KnownHostsFile(string path, List<Entry> entries)
    {
        Path = path;
        _entries = entries;
    }

    public string Path { get; }

    /// <summary>How known_hosts names a host: bare for port 22, "[host]:port" otherwise.</summary>
    public static string HostName(string host, int port) => port == 22 ? host : $"[{host}]:{port}";

    /// <summary>"SHA256:" and the unpadded base64 digest of the key blob, as ssh prints it.</summary>
    public static string Fingerprint(byte[] keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>The key type written inside the blob ("ssh-rsa" also for rsa-sha2-* signatures).</summary>
    public static string KeyTypeOf(byte[] keyBlob)
    {
        if (keyBlob.Length < 4)
        {
            return "unknown";
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(keyBlob);
        return length > 0 && length <= keyBlob.Length - 4 ? Encoding.ASCII.GetString(keyBlob, 4, length) : "unknown";
    }

    public static KnownHostsFile Load(string path)
    {
        var entries = new List<Entry>();
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var entry = Entry.Parse(line);
                if (entry is not null)
                {
                    entries.Add(entry);
                }
            }
        }
        return new KnownHostsFile(path, entries);
    }

    public HostKeyVerdict Check(string host, int port, byte[] keyBlob)
    {
        var name = HostName(host, port).ToLowerInvariant();
        var keyType = KeyTypeOf(keyBlob);
        var applicable = _entries.Where(entry => entry.Marker != "@cert-authority" && entry.Matches(name)).ToList();
        if (applicable.Any(entry => entry.Marker == "@revoked" && entry.KeyBlob.AsSpan().SequenceEqual(keyBlob)))
        {
            return HostKeyVerdict.Revoked;
        }
        var keys = applicable.Where(entry => entry.Marker is null).ToList();
        if (keys.Any(entry => entry.KeyBlob.AsSpan().SequenceEqual(keyBlob)))
        {
            return HostKeyVerdict.Trusted;
        }
        // A different key of the same type is a changed key. Only other types known is what OpenSSH
        // also treats as new: the server may simply have offered a type the file does not hold yet.
        return keys.Any(entry => entry.KeyType == keyType) ? HostKeyVerdict.Mismatch : HostKeyVerdict.Unknown;
    }

    /// <summary>Key types known_hosts holds for the host, to ask the server for one of those first.</summary>
    public IReadOnlySet<string> KnownKeyTypes(string host, int port)
    {
        var name = HostName(host, port).ToLowerInvariant();
        return _entries.Where(entry => entry.Marker is null && entry.Matches(name)).Select(entry => entry.KeyType).ToHashSet();
    }

    /// <summary>Appends made in this process one at a time: a command logs in to several new hosts at once (-AcceptNewHostKey).</summary>
    private static readonly object AppendLock = new();

    /// <summary>Appends "host keytype base64", creating ~/.ssh (mode 700) and the file (mode 600) when missing.</summary>
    public static void Append(string path, string host, int port, byte[] keyBlob)
    {
        lock (AppendLock)
        {
            AppendUnlocked(path, host, port, keyBlob);
        }
    }

    private static void AppendUnlocked(string path, string host, int port, byte[] keyBlob)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        var line = $"{HostName(host, port)} {KeyTypeOf(keyBlob)} {Convert.ToBase64String(keyBlob)}\n";
        var isNew = !File.Exists(path);
        if (!isNew && new FileInfo(path).Length > 0)
        {
            using var existing = File.OpenRead(path);
            existing.Seek(-1, SeekOrigin.End);
            if (existing.ReadByte() != '\n')
            {
                line = "\n" + line;
            }
        }
        File.AppendAllText(path, line);
        if (isNew && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private sealed record Entry(string? Marker, string Patterns, string KeyType, byte[] KeyBlob)
    {
        public static Entry? Parse(string line)
        {
            var fields = line.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0].StartsWith('#'))
            {
                return null;
            }
            string? marker = null;
            if (fields[0].StartsWith('@'))
            {
                marker = fields[0];
                fields = fields[1..];
            }
            if (fields.Length < 3)
            {
                return null;
            }
            try
            {
                return new Entry(marker, fields[0], fields[1], Convert.FromBase64String(fields[2]));
            }
            catch (FormatException)
            {
                // ssh ignores a line it cannot read; so do we.
                return null;
            }
        }

        public bool Matches(string name)
        {
            if (Patterns.StartsWith("|1|", StringComparison.Ordinal))
            {
                return MatchesHashed(name);
            }
            var matched = false;
            foreach (var pattern in Patterns.Split(','))
            {
                var negated = pattern.StartsWith('!');
                if (Wildcard(negated ? pattern[1..] : pattern).IsMatch(name))
                {
                    if (negated)
                    {
                        return false;
                    }
                    matched = true;
                }
            }
            return matched;
        }

        private bool MatchesHashed(string name)
        {
            var parts = Patterns.Split('|');
            if (parts.Length != 4)
            {
                return false;
            }
            try
            {
                using var hmac = new HMACSHA1(Convert.FromBase64String(parts[2]));
                var expected = Convert.FromBase64String(parts[3]);
                return CryptographicOperations.FixedTimeEquals(hmac.ComputeHash(Encoding.UTF8.GetBytes(name)), expected);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        private static Regex Wildcard(string pattern) =>
            new("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }
}
