using PgHa.Conninfo;

namespace PgHa.Operations.Roles;

/// <summary>
/// What Invoke-PgHaRejoin asks for: the registered node to bring back (by name or id), the metadata's
/// entry points, the upstream by name (null: the registered active primary), and whether pg_rewind may run.
/// </summary>
internal sealed record RejoinRequest(
    IReadOnlyList<ConnectionInfo> EntryPoints,
    string? NodeName,
    int? NodeId,
    string? UpstreamName,
    bool ForceRewind,
    TimeSpan Wait);
