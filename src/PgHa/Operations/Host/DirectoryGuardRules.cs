using PgHa.Core;

namespace PgHa.Operations.Host;

/// <summary>
/// The rule every deletion and overwrite in PgHa obeys, as a pure function of what the target host showed
/// (<see cref="DirectoryScan"/>): never a directory that is, contains, or lies inside the data directory of
/// a running server or of the current primary, or that holds one of their tablespaces or their WAL
/// directory; and, where asked, never a non-empty directory that is not a PostgreSQL data directory. A server
/// the scan could not see into (another OS user's: its data directory, tablespaces or WAL directory unknown)
/// is a refusal too, never a pass: what cannot be checked is not touched. Each refusal has its own ErrorId
/// (catalogued with its category in PgHaErrorIds).
/// </summary>
internal static class DirectoryGuardRules
{
    /// <param name="requested">The path as the caller gave it (messages show both it and what it resolved to).</param>
    /// <param name="host">Where the path is: "local" or "ssh postgres@host:port".</param>
    /// <param name="nonEmptyNeeds">
    /// When not null, a non-empty directory that is neither a PostgreSQL data directory nor a clone PgHa left
    /// unfinished is refused, and the message names this switch as the way to allow it.
    /// </param>
    public static DirectoryRefusal? Check(DirectoryScan scan, string requested, string host, string? nonEmptyNeeds)
    {
        string target = scan.ResolvedPath;
        string where = PosixPath.Clean(requested) == target ? $"'{target}' on {host}" : $"'{requested}' (on {host} that is '{target}')";

        // The primary first: its message says more than "a running server" when both apply.
        foreach (HostServer server in scan.Servers.OrderBy(s => s.Kind == HostServerKind.Primary ? 0 : 1))
        {
            if (RefusalFor(server, target, where) is { } refusal)
            {
                return refusal;
            }
        }

        // Nothing visible refuses; what could not be seen might. Checked after the servers that were seen,
        // whose refusal says more.
        if (scan.Hidden.Count > 0)
        {
            string pids = string.Join(", ", scan.Hidden);
            return new DirectoryRefusal(PgHaErrorIds.DirectoryCheckFailed,
                $"A postgres process on {host} (pid {pids}) runs as another OS user, and the PostgreSQL OS user cannot see which data directory it uses, so PgHa cannot tell whether {where} belongs to it; nothing was deleted. " +
                "Start that server with an absolute -D (pg_ctl -D /its/data; a command line is readable by every user), run it as the same OS user as the other servers, or stop it; then try again.");
        }
        if (scan.Unreadable.Count > 0)
        {
            string dirs = string.Join(", ", scan.Unreadable.Select(d =>
                scan.Servers.FirstOrDefault(s => s.DataDirectory == PosixPath.Clean(d)) is { } server ? server.Describe() : $"the data directory '{d}'"));
            return new DirectoryRefusal(PgHaErrorIds.DirectoryCheckFailed,
                $"On {host}, {dirs} cannot be read by the PostgreSQL OS user, so its tablespaces and WAL directory cannot be checked against {where}; nothing was deleted. " +
                "Let that user read and enter that data directory and its pg_tblspc (initdb --allow-group-access, or chmod 0750 with the user in its group), or stop that server; then try again.");
        }
        if (scan.Exists && !scan.Readable)
        {
            return new DirectoryRefusal(PgHaErrorIds.DirectoryCheckFailed,
                $"{where} cannot be read by the PostgreSQL OS user, so PgHa cannot tell what it holds; nothing was deleted. Give that user access to it, or choose another directory.");
        }
        if (nonEmptyNeeds is not null && scan.Exists && !scan.IsDirectory)
        {
            return new DirectoryRefusal(PgHaErrorIds.DirectoryNotDataDirectory,
                $"{where} exists and is not a directory; nothing was deleted. Choose a directory path.");
        }
        if (nonEmptyNeeds is not null && scan.NotEmpty && !scan.IsDataDirectory && !scan.HasCloneMarker)
        {
            string shown = string.Join(", ", scan.Entries.Take(5).Select(e => "'" + Name(e) + "'"));
            return new DirectoryRefusal(PgHaErrorIds.DirectoryNotDataDirectory,
                $"{where} is not empty and is not a PostgreSQL data directory (it holds {shown}{(scan.Entries.Count > 5 ? ", ..." : string.Empty)}); nothing was deleted. " +
                $"Check that it is the directory you mean; to delete what it holds and clone into it, add {nonEmptyNeeds}.");
        }
        return null;
    }

    private static DirectoryRefusal? RefusalFor(HostServer server, string target, string where)
    {
        string what = server.Describe();
        string hint = server.Kind switch
        {
            HostServerKind.Primary => "PgHa never deletes or overwrites the current primary's data. Choose another directory.",
            HostServerKind.Deleted => $"Its files are already gone and pg_ctl cannot stop it: stop it by its pid (kill -QUIT {server.Pid} as its OS user), then try again.",
            _ => "PgHa never deletes or overwrites a running server's files. Choose a directory outside it, or stop that server first if its data is really no longer wanted.",
        };
        string dir = server.DataDirectory;
        if (target == dir)
        {
            return Refuse(server.Kind == HostServerKind.Primary ? PgHaErrorIds.DirectoryOfPrimary : PgHaErrorIds.DirectoryIsRunningServer, $"{where} is {what}; nothing was deleted. {hint}");
        }
        if (PosixPath.IsSameOrInside(target, dir))
        {
            return Refuse(server.Kind == HostServerKind.Primary ? PgHaErrorIds.DirectoryOfPrimary : PgHaErrorIds.DirectoryInsideRunningServer, $"{where} lies inside {what}; nothing was deleted. {hint}");
        }
        if (PosixPath.IsSameOrInside(dir, target))
        {
            return Refuse(server.Kind == HostServerKind.Primary ? PgHaErrorIds.DirectoryOfPrimary : PgHaErrorIds.DirectoryContainsRunningServer, $"{where} contains {what}; nothing was deleted. {hint}");
        }
        foreach (string tablespace in server.Tablespaces)
        {
            if (PosixPath.Overlap(target, tablespace))
            {
                return Refuse(PgHaErrorIds.DirectoryHoldsTablespace, $"{where} {Relation(target, tablespace)} the tablespace directory '{tablespace}' of {what}; nothing was deleted. {hint}");
            }
        }
        if (server.WalDirectory is { } wal && PosixPath.Overlap(target, wal))
        {
            return Refuse(PgHaErrorIds.DirectoryHoldsWal, $"{where} {Relation(target, wal)} the WAL directory '{wal}' (pg_wal) of {what}; nothing was deleted. {hint}");
        }
        return null;
    }

    private static string Relation(string target, string other) =>
        target == other ? "is" : PosixPath.IsSameOrInside(target, other) ? "lies inside" : "contains";

    private static DirectoryRefusal Refuse(string errorId, string message) => new(errorId, message);

    private static string Name(string path) => path[(path.TrimEnd('/').LastIndexOf('/') + 1)..];
}
