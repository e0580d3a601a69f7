using PgHa.Conninfo;
using PgHa.Metadata;
using PgHa.Operations.Host;

namespace PgHa.Operations.Roles;

/// <summary>The checked facts a rejoin acts on, and its decision; -WhatIf stops here.</summary>
internal sealed record RejoinPlan(
    NodeRecord Node,
    NodeHost NodeHost,
    ConnectionInfo NodeConninfo,
    string BinDirectory,
    NodeRecord Upstream,
    ConnectionInfo UpstreamConninfo,
    ConnectionInfo PrimaryConninfo,
    string? UpstreamBefore,
    PgControlData NodeControl,
    int UpstreamTimeline,
    RejoinVerdict Verdict,
    TimeSpan Wait);
