namespace PgHa.Operations.Host;

/// <summary>
/// A data directory on the target host that nothing may delete or overwrite, with the directories outside
/// it that belong to it (tablespaces through pg_tblspc, a relocated pg_wal), all resolved by realpath on the host.
/// </summary>
internal sealed record HostServer(HostServerKind Kind, int Pid, string DataDirectory, IReadOnlyList<string> Tablespaces, string? WalDirectory)
{
    /// <summary>"the PostgreSQL server (pid 123) whose data directory is '/x'", for messages.</summary>
    public string Describe() => Kind switch
    {
        HostServerKind.Primary => $"the current primary's data directory '{DataDirectory}'",
        HostServerKind.Deleted => $"the running PostgreSQL server (pid {Pid}) whose data directory '{DataDirectory}' was deleted while it ran",
        _ => $"the running PostgreSQL server (pid {Pid}) with data directory '{DataDirectory}'",
    };
}
