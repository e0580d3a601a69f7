namespace PgHa.Operations.Monitor.Health;

/// <summary>A registered node as /cluster shows it: what Get-PgHaCluster shows, without the conninfo (it may hold a password).</summary>
internal sealed record SnapshotMember(
    int Id,
    string Name,
    string Role,
    bool Active,
    string? Upstream,
    string Location,
    int Priority,
    string? Host,
    int? Port,
    bool Leader);
