using PgHa.Conninfo;

namespace PgHa.Operations.Clone;

/// <summary>
/// Everything New-PgHaStandby established before writing anything: the checks (all passed or warned
/// when the plan is returned), the replication conninfo, the programs to use, what exists at the target, and
/// the primary's data directory when it lives on the target's host (the guard keeps it).
/// </summary>
internal sealed record ClonePlan(
    CloneRequest Request,
    IReadOnlyList<PgHaCloneCheck> Checks,
    SourceFacts Source,
    string SourceDisplay,
    ConnectionInfo ReplicationConninfo,
    string PgBinDir,
    bool TargetExists,
    bool TargetNotEmpty,
    ConnectionInfo? EventsTo,
    int EventNodeId,
    IReadOnlyList<string> PrimaryDirectories)
{
    public string? SlotName => Request.SlotName;
}
