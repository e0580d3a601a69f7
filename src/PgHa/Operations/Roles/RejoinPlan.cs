using PgHa.Conninfo;
using PgHa.Metadata;
using PgHa.Operations.Host;

namespace PgHa.Operations.Roles;

/// <summary>
/// The checked facts a rejoin acts on, and its decision; -WhatIf stops here. BinDirectory and NodeControl
/// are null when the node runs and already streams from the upstream (Verdict None): nothing is run then.
/// KeptDirectories: the upstream's and the current primary's data directories on the node's host, which the
/// directory guard keeps.
/// </summary>
internal sealed record RejoinPlan(
    NodeRecord Node,
    NodeHost NodeHost,
    ConnectionInfo NodeConninfo,
    string? BinDirectory,
    NodeRecord Upstream,
    ConnectionInfo UpstreamConninfo,
    ConnectionInfo PrimaryConninfo,
    string? UpstreamBefore,
    PgControlData? NodeControl,
    int UpstreamTimeline,
    RejoinVerdict Verdict,
    TimeSpan Wait,
    IReadOnlyList<string>? KeptDirectories = null)
{
    /// <summary>It already streams from the upstream and its record says so: nothing to change.</summary>
    public bool AlreadyDone => Verdict.Method == RejoinMethod.None && Node.Role == PgHaRole.Standby && Node.Active && Node.UpstreamId == Upstream.Id;
}
