using PgHa.Conninfo;
using PgHa.Metadata;

namespace PgHa.Operations.Roles;

/// <summary>
/// What Invoke-PgHaFollow found before changing anything: the standby, its new upstream, where the
/// metadata is written (the active primary), the node's WAL position against the upstream's history,
/// and whether the node already streams from there.
/// </summary>
internal sealed record FollowPlan(
    NodeRecord Node,
    ConnectionInfo NodeConninfo,
    NodeRecord Upstream,
    ConnectionInfo UpstreamConninfo,
    ConnectionInfo MetadataPrimary,
    string? UpstreamBefore,
    int NodeTimeline,
    PgHaLsn NodePosition,
    int UpstreamTimeline,
    bool AlreadyStreaming)
{
    /// <summary>Nothing to do: it streams from the upstream and its record says so.</summary>
    public bool AlreadyDone => AlreadyStreaming && Node.UpstreamId == Upstream.Id;
}
