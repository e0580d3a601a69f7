using System.Globalization;

namespace PgHa.Operations.Host;

/// <summary>
/// What <see cref="DirectoryGuard"/>'s script found on the target host: the directory resolved by realpath
/// (symlinks and ".." followed), what it holds, and every data directory that must be kept there, with
/// their tablespaces and WAL directories. Parsed from lines "key pid path" (the path last, so spaces in it
/// are kept).
/// </summary>
internal sealed record DirectoryScan(
    string ResolvedPath,
    bool Exists,
    bool IsDirectory,
    bool Readable,
    bool IsDataDirectory,
    bool HasCloneMarker,
    IReadOnlyList<string> Entries,
    IReadOnlyList<HostServer> Servers,
    IReadOnlyList<string> Unreadable,
    IReadOnlyList<int> Hidden)
{
    /// <summary>The files and folders found in the directory (up to the first few), not "." and "..".</summary>
    public bool NotEmpty => Entries.Count > 0;

    public static DirectoryScan Parse(string output)
    {
        string? resolved = null;
        bool exists = false, isDirectory = false, readable = true, dataDirectory = false, marker = false;
        var entries = new List<string>();
        var servers = new List<(HostServerKind Kind, int Pid, string Dir, List<string> Tablespaces, string? Wal)>();
        var unreadable = new List<string>();
        var hidden = new List<int>();
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            int first = line.IndexOf(' ');
            if (first <= 0)
            {
                continue;
            }
            int second = line.IndexOf(' ', first + 1);
            string key = line[..first];
            string pidText = second < 0 ? line[(first + 1)..] : line[(first + 1)..second];
            string path = second < 0 ? string.Empty : line[(second + 1)..];
            _ = int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int pid);
            switch (key)
            {
                case "target": resolved = PosixPath.Clean(path); break;
                case "exists": exists = true; break;
                case "isdir": isDirectory = true; break;
                case "noaccess": readable = false; break;
                case "pgversion": dataDirectory = true; break;
                case "marker": marker = true; break;
                case "entry": entries.Add(path); break;
                case "server" or "deleted" or "primary" when path.StartsWith('/'):
                    HostServerKind kind = key switch { "deleted" => HostServerKind.Deleted, "primary" => HostServerKind.Primary, _ => HostServerKind.Running };
                    servers.Add((kind, pid, PosixPath.Clean(path), [], null));
                    break;
                case "tablespace" when servers.Count > 0 && path.StartsWith('/'):
                    servers[^1].Tablespaces.Add(PosixPath.Clean(path));
                    break;
                case "wal" when servers.Count > 0 && path.StartsWith('/'):
                    servers[^1] = servers[^1] with { Wal = PosixPath.Clean(path) };
                    break;
                case "unreadable": unreadable.Add(path); break;
                case "hidden": hidden.Add(pid); break;
            }
        }
        if (resolved is null || !resolved.StartsWith('/'))
        {
            throw new FormatException("The directory check printed no resolved path.");
        }

        // One entry per data directory and kind: the children of a postmaster and its postmaster.pid name it again.
        var merged = new List<HostServer>();
        foreach (var group in servers.GroupBy(s => (s.Kind, s.Dir)))
        {
            var first = group.First();
            merged.Add(new HostServer(first.Kind, first.Pid, first.Dir,
                group.SelectMany(s => s.Tablespaces).Distinct(StringComparer.Ordinal).ToArray(),
                group.Select(s => s.Wal).FirstOrDefault(w => w is not null)));
        }
        return new DirectoryScan(resolved, exists, isDirectory, readable, dataDirectory, marker, entries, merged,
            unreadable.Distinct(StringComparer.Ordinal).ToArray(), hidden.Distinct().ToArray());
    }
}
