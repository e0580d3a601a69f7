using System.Diagnostics;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Host;
using PgHa.Operations.Service;
using PgHa.Sql;

namespace PgHa.Operations.Roles;

/// <summary>
/// Invoke-PgHaFollow (repmgr standby follow): points a running standby at a new upstream, but only when
/// its WAL position lies on the upstream's timeline history; reloads (PostgreSQL 13+ restarts the WAL
/// receiver on a primary_conninfo change) and restarts only when the receiver does not move.
/// </summary>
internal static class NodeFollow
{
    /// <summary>How long a reload gets to move the WAL receiver before the node is restarted.</summary>
    private static readonly TimeSpan ReloadGrace = TimeSpan.FromSeconds(10);

    public const string EventName = "standby_follow";

    /// <summary>Reads the records and checks everything; changes nothing.</summary>
    public static async Task<FollowPlan> PlanAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, string nodeName, string? upstreamName)
    {
        var (nodes, _) = await MetadataReader.ReadNodesAsync(context, entryPoints).ConfigureAwait(false);
        NodeRecord node = NodeRecordLookup.ByName(nodes, nodeName);
        NodeRecord primary = NodeRecordLookup.ActivePrimary(nodes)
            ?? throw new PgHaException(PgHaErrorIds.PrimaryNotFound, nodeName,
                "No active primary is registered, so there is no metadata to record the change in. Promote a standby first (Invoke-PgHaPromote).");
        NodeRecord upstream = upstreamName is null ? primary : NodeRecordLookup.ByName(nodes, upstreamName);
        return await PlanAsync(context, nodes, node, upstream, NodeRecordLookup.ConninfoOf(primary)).ConfigureAwait(false);
    }

    /// <summary>Checks whether <paramref name="node"/> can follow <paramref name="upstream"/>; the metadata is written on <paramref name="metadataPrimary"/>.</summary>
    public static async Task<FollowPlan> PlanAsync(OperationContext context, IReadOnlyList<NodeRecord> nodes, NodeRecord node, NodeRecord upstream, ConnectionInfo metadataPrimary)
    {
        if (node.Role != PgHaRole.Standby || !node.Active)
        {
            throw new PgHaException(PgHaErrorIds.FollowNotStandby, node.Name,
                $"{node.Name} is registered as an {(node.Active ? "active" : "inactive")} {node.Role.ToString().ToLowerInvariant()}, not an active standby: only a standby can follow. A former primary comes back with Invoke-PgHaRejoin.");
        }
        if (upstream.Id == node.Id)
        {
            throw new PgHaException(PgHaErrorIds.FollowUpstreamInvalid, node.Name,
                $"{node.Name} cannot follow itself. Give another node as -Upstream.");
        }
        if (upstream.Role == PgHaRole.Witness || !upstream.Active)
        {
            throw new PgHaException(PgHaErrorIds.FollowUpstreamInvalid, upstream.Name,
                $"{upstream.Name} is {(upstream.Active ? "a witness" : "inactive")}: a standby can only follow an active primary or standby.");
        }

        ConnectionInfo nodeConninfo = NodeRecordLookup.ConninfoOf(node);
        ConnectionInfo upstreamConninfo = NodeRecordLookup.ConninfoOf(upstream);
        context.Reporter.Verbose($"Probing {node.Name} and its new upstream {upstream.Name}.");
        // One session per node, both sides at once: after a failover this runs while the standby has no
        // upstream, and every round trip counts.
        Task<NodeProbeResult> readingNode = ReadStandbyAsync(context, node, nodeConninfo);
        Task<UpstreamSide> readingUpstream = ReadUpstreamSideAsync(context, upstream, upstreamConninfo);
        NodeProbeResult nodeProbe = await readingNode.ConfigureAwait(false);
        if (!nodeProbe.InRecovery)
        {
            throw new PgHaException(PgHaErrorIds.FollowNotStandby, node.Name,
                $"{node.Name} is not in recovery: it runs as a primary and cannot follow. Bring it back as a standby with Invoke-PgHaRejoin.");
        }
        var (upstreamProbe, history, historyError) = await readingUpstream.ConfigureAwait(false);
        if (upstreamProbe.SystemIdentifier != nodeProbe.SystemIdentifier)
        {
            throw new PgHaException(PgHaErrorIds.FollowSystemMismatch, node.Name,
                $"{node.Name} (system identifier {nodeProbe.SystemIdentifier}) and {upstream.Name} ({upstreamProbe.SystemIdentifier}) are not copies of the same cluster. Clone {node.Name} again with New-PgHaStandby.");
        }

        bool streaming = nodeProbe.ReceiverStatus == "streaming" && NodeEndpoint.Of(upstreamConninfo).Matches(nodeProbe.SenderHost, nodeProbe.SenderPort);
        PgHaLsn position = nodeProbe.StandbyPosition;
        int nodeTimeline = nodeProbe.Timeline ?? 0;
        int upstreamTimeline = upstreamProbe.Timeline ?? 0;
        var plan = new FollowPlan(node, nodeConninfo, upstream, upstreamConninfo, metadataPrimary,
            NodeRecordLookup.NameOf(nodes, node.UpstreamId), nodeTimeline, position, upstreamTimeline, streaming);
        if (streaming)
        {
            context.Reporter.Verbose($"{node.Name} already streams from {upstream.Name}.");
            return plan;
        }

        if (history is null)
        {
            throw historyError!;
        }
        FollowVerdict verdict = history.CanFollowFrom(nodeTimeline, position);
        context.Reporter.Verbose($"{node.Name} is at {position} on timeline {nodeTimeline}; {upstream.Name} is on timeline {upstreamTimeline}: {verdict}.");
        return verdict switch
        {
            FollowVerdict.Yes => plan,
            FollowVerdict.Diverged => throw new PgHaException(PgHaErrorIds.FollowDiverged, node.Name,
                $"{node.Name} has WAL up to {position} on timeline {nodeTimeline}, past the point {history.SwitchPointOf(nodeTimeline)} where {upstream.Name}'s history left that timeline: it diverged and cannot follow. Rejoin it with Invoke-PgHaRejoin -ForceRewind, or clone it again."),
            _ => throw new PgHaException(PgHaErrorIds.FollowTimelineMismatch, node.Name,
                $"{node.Name}'s timeline {nodeTimeline} is not on the history of {upstream.Name}'s timeline {upstreamTimeline} (another branch, or a newer timeline): it cannot follow {upstream.Name}. Pick another upstream, or rejoin it with Invoke-PgHaRejoin -ForceRewind."),
        };
    }

    /// <summary>
    /// Points the node at its new upstream, waits until it streams from there, and records it (as <paramref name="eventName"/>:
    /// the monitor records failover_follow). <paramref name="stopWaiting"/> ends the waits for streaming early (an
    /// OperationCanceledException): the monitor's, when the upstream it follows is lost meanwhile.
    /// </summary>
    public static async Task<PgHaRoleChange> ApplyAsync(OperationContext context, FollowPlan plan, TimeSpan wait, string eventName = EventName,
        CancellationToken stopWaiting = default)
    {
        var clock = Stopwatch.StartNew();
        using var waitingEnds = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopWaiting);
        OperationContext waiting = context.WithCancellation(waitingEnds.Token);
        NodeRecord node = plan.Node;
        if (plan.AlreadyDone)
        {
            return Result(plan, plan.UpstreamTimeline, changed: false, clock.Elapsed);
        }
        if (!plan.AlreadyStreaming)
        {
            if (node.SlotName is not null)
            {
                await ReplicationSlots.EnsureAsync(context, plan.Upstream.Name, plan.UpstreamConninfo, node.SlotName).ConfigureAwait(false);
            }
            var host = NodeHost.Of(node);
            await RoleChanges.PointAtUpstreamAsync(context, host, plan.NodeConninfo, plan.UpstreamConninfo, node.SlotName, reload: true).ConfigureAwait(false);
            try
            {
                await RoleChanges.WaitForStreamingFromAsync(waiting, node.Name, plan.NodeConninfo, plan.UpstreamConninfo, Min(ReloadGrace, wait), plan.UpstreamTimeline).ConfigureAwait(false);
            }
            catch (PgHaException ex) when (ex.ErrorId == PgHaErrorIds.FollowTimeout)
            {
                // Before PostgreSQL 13, or when the receiver is stuck retrying the old upstream, only a restart reads primary_conninfo.
                context.Reporter.Verbose($"The reload did not move {node.Name}'s WAL receiver ({ex.Message}); restarting it.");
                stopWaiting.ThrowIfCancellationRequested(); // not restarted for an upstream that is already lost
                await NodeService.RestartAsync(context, host, PgHaStopMode.Fast, null, wait).ConfigureAwait(false);
                await RoleChanges.WaitForStreamingFromAsync(waiting, node.Name, plan.NodeConninfo, plan.UpstreamConninfo, wait, plan.UpstreamTimeline).ConfigureAwait(false);
            }
        }
        string details = $"{node.Name} now follows {plan.Upstream.Name} (was {plan.UpstreamBefore ?? "none"}; timeline {plan.NodeTimeline} at {plan.NodePosition}, upstream timeline {plan.UpstreamTimeline})";
        await RoleChanges.RecordAsync(context, plan.MetadataPrimary, [node with { UpstreamId = plan.Upstream.Id }],
            [(node, eventName, true, details)]).ConfigureAwait(false);
        return Result(plan, plan.UpstreamTimeline, changed: true, clock.Elapsed);
    }

    /// <summary>
    /// A standby of the old primary follows the new one after a promotion or switchover, with the same checks
    /// as Invoke-PgHaFollow; its record is read afresh from the new primary's metadata. A sibling that cannot
    /// follow is a warning and a failed event, never a failure of the role change that already happened:
    /// returns null then.
    /// </summary>
    public static async Task<PgHaRoleChange?> FollowNewPrimaryAsync(OperationContext context, NodeRecord sibling, NodeRecord newPrimary, ConnectionInfo newPrimaryConninfo, TimeSpan wait)
    {
        try
        {
            var (nodes, _) = await MetadataReader.ReadNodesAsync(context, [newPrimaryConninfo]).ConfigureAwait(false);
            context.Reporter.Verbose($"Moving sibling {sibling.Name} to the new primary {newPrimary.Name}.");
            FollowPlan follow = await PlanAsync(context, nodes, NodeRecordLookup.ByName(nodes, sibling.Name), newPrimary, newPrimaryConninfo).ConfigureAwait(false);
            return await ApplyAsync(context, follow, wait).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            string errorId = ex is PgHaException pgha ? pgha.ErrorId : PgHaErrorIds.DatabaseError;
            context.Reporter.Warning($"{sibling.Name} did not follow the new primary {newPrimary.Name}: {ex.Message} Point it there with Invoke-PgHaFollow.");
            try
            {
                await RoleChanges.RecordAsync(context, newPrimaryConninfo, [],
                    [(sibling, EventName, false, $"{sibling.Name} could not follow {newPrimary.Name} ({errorId}): {ex.Message}")]).ConfigureAwait(false);
            }
            catch (Exception recordError) when (recordError is PgHaException or NpgsqlException)
            {
                context.Reporter.Warning($"The failed follow of {sibling.Name} could not be recorded: {recordError.Message}");
            }
            return null;
        }
    }

    private static PgHaRoleChange Result(FollowPlan plan, int timeline, bool changed, TimeSpan duration) => new()
    {
        Node = plan.Node.Name,
        Action = "Follow",
        RoleBefore = PgHaRole.Standby,
        RoleAfter = PgHaRole.Standby,
        UpstreamBefore = plan.UpstreamBefore,
        UpstreamAfter = plan.Upstream.Name,
        Timeline = timeline,
        Method = "Direct",
        Duration = duration,
        Changed = changed,
    };

    /// <summary><see cref="History"/> is null when it could not be read (<see cref="HistoryError"/> says why): only needed when the node does not stream from there yet.</summary>
    private sealed record UpstreamSide(NodeProbeResult Probe, TimelineHistory? History, PgHaException? HistoryError);

    /// <summary>
    /// The standby's state on one session; without a WAL receiver pg_control's timeline may be older than the
    /// WAL, so StandbyTimeline reads it from the WAL files then.
    /// </summary>
    private static async Task<NodeProbeResult> ReadStandbyAsync(OperationContext context, NodeRecord node, ConnectionInfo conninfo)
    {
        await using var connection = await OpenRunningAsync(context, node, conninfo).ConfigureAwait(false);
        return await StandbyTimeline.ProbeAsync(context, node.Name, connection).ConfigureAwait(false);
    }

    /// <summary>The new upstream's state and the history of its timeline, on one session.</summary>
    private static async Task<UpstreamSide> ReadUpstreamSideAsync(OperationContext context, NodeRecord upstream, ConnectionInfo conninfo)
    {
        await using var connection = await OpenRunningAsync(context, upstream, conninfo).ConfigureAwait(false);
        NodeProbeResult probe = await NodeProbe.ProbeAsync(connection, context.CancellationToken).ConfigureAwait(false);
        try
        {
            return new UpstreamSide(probe, await TimelineHistoryReader.ReadAsync(context, upstream.Name, connection, probe.Timeline ?? 0).ConfigureAwait(false), null);
        }
        catch (PgHaException ex) when (ex.ErrorId == PgHaErrorIds.TimelineHistoryUnreadable)
        {
            return new UpstreamSide(probe, null, ex);
        }
    }

    private static async Task<NpgsqlConnection> OpenRunningAsync(OperationContext context, NodeRecord node, ConnectionInfo conninfo)
    {
        try
        {
            return await NodeConnector.OpenAsync(context, conninfo, NodeConnector.MetadataDatabaseOf(conninfo)).ConfigureAwait(false);
        }
        catch (PgHaException ex) when (!NodeConnector.LeavesStateUnknown(ex))
        {
            throw new PgHaException(PgHaErrorIds.FollowNodeUnreachable, node.Name,
                $"{node.Name} does not answer ({ex.Message}). Both the standby and its new upstream must run; start them with Start-PgHaNode.", ex);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a <= b ? a : b;
}
