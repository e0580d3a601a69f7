using PgHa.Conninfo;
using PgHa.Metadata;
using PgHa.Operations.Host;

namespace PgHa.Operations.Switchovers;

/// <summary>A switchover that passed every check: who hands over to whom, and who follows.</summary>
internal sealed record SwitchoverPlan(
    NodeRecord OldPrimary,
    ConnectionInfo OldPrimaryConninfo,
    NodeHost OldPrimaryHost,
    NodeRecord Candidate,
    ConnectionInfo CandidateConninfo,
    NodeHost CandidateHost,
    IReadOnlyList<NodeRecord> Siblings,
    IReadOnlyList<NodeRecord> AllNodes,
    SwitchoverOptions Options)
{
    /// <summary>Where the old primary's pg_ctl and pg_controldata are; resolved by the checks (empty when the candidate already is the primary).</summary>
    public string OldPrimaryBinDir { get; init; } = string.Empty;

    /// <summary>The candidate already is the primary: nothing to do.</summary>
    public bool AlreadyPrimary => OldPrimary.Id == Candidate.Id;
}
