using PgHa.Core;
using PgHa.Operations.Host;

namespace PgHa.Operations.Roles;

/// <summary>
/// Decides, from a stopped node's pg_control and its upstream's timeline history, whether the node can
/// stream from the upstream as it is, needs pg_rewind first, or must be cloned again. Never guesses:
/// anything it cannot prove safe is a rewind (when allowed and possible) or a clear refusal.
/// </summary>
internal static class RejoinDecision
{
    /// <summary>pg_controldata states of a directory whose server stopped cleanly: its WAL ends with the shutdown checkpoint.</summary>
    public static bool IsCleanShutdown(string clusterState) => clusterState is "shut down" or "shut down in recovery";

    public static RejoinVerdict Decide(
        string nodeName,
        PgControlData node,
        RewindPrerequisites rewind,
        string upstreamName,
        string upstreamSystemIdentifier,
        TimelineHistory upstreamHistory,
        PgHaLsn? upstreamCurrentLsn,
        bool forceRewind,
        TimelineHistory? nodeNewestHistory = null,
        bool nodeTimelineStartDiffers = false)
    {
        if (node.SystemIdentifier != upstreamSystemIdentifier)
        {
            throw new PgHaException(PgHaErrorIds.RejoinNotSameCluster, nodeName,
                $"{nodeName}'s data directory belongs to another cluster (system identifier {node.SystemIdentifier}) than {upstreamName} ({upstreamSystemIdentifier}): " +
                $"it cannot rejoin. Clone it again: New-PgHaStandby -Name {nodeName} -Force -Start -Register.");
        }
        if (node.CheckpointLsn is not { } checkpoint)
        {
            throw new PgHaException(PgHaErrorIds.RejoinNeedsClone, nodeName,
                $"pg_controldata shows no latest checkpoint location for {nodeName}, so where its WAL ends is unknown. Clone it again: New-PgHaStandby -Name {nodeName} -Force -Start -Register.");
        }

        // The newest history file in the node's pg_wal names the last timeline it reached, which pg_control may
        // not show yet (a promotion writes it there at its first checkpoint). If that timeline is not the
        // upstream's of the same number, the node wrote WAL on a branch pg_rewind cannot tell from the
        // upstream's (it compares timeline numbers): neither following nor rewinding can bring it back.
        // Two promotions from the same switch point have identical history files: the first WAL bytes of the
        // timeline (each one's own end-of-recovery record) tell them apart (nodeTimelineStartDiffers).
        if (nodeNewestHistory is { } own && own.Timeline >= node.TimelineId && (!own.IsOnHistoryOf(upstreamHistory) || nodeTimelineStartDiffers))
        {
            string branch = nodeTimelineStartDiffers && own.IsOnHistoryOf(upstreamHistory)
                ? $"timeline {own.Timeline} was made twice: {nodeName} and {upstreamName} both left timeline {own.Start?.Parent} at {own.Start?.At}, but each wrote its own WAL from there " +
                  $"(the first bytes of timeline {own.Timeline} differ). pg_rewind tells timelines apart by their number only, so it cannot undo {nodeName}'s branch"
                : own.Timeline <= upstreamHistory.Timeline
                ? $"timeline {own.Timeline} was made twice: {nodeName} reached {own.Describe()}; {upstreamName} is on {upstreamHistory.Describe()}. " +
                  $"pg_rewind tells timelines apart by their number only, so it cannot undo {nodeName}'s branch"
                : $"{nodeName} reached {own.Describe()}, beyond {upstreamName}'s {upstreamHistory.Describe()}";
            throw new PgHaException(PgHaErrorIds.RejoinNeedsClone, nodeName,
                $"{branch}. Its writes on that branch are on no other node. Clone it again: New-PgHaStandby -Name {nodeName} -Force -Start -Register " +
                $"(copy its data directory first to keep them); a running monitor does this itself and keeps the old directory beside the new one.");
        }

        // A clean shutdown's WAL ends with the shutdown checkpoint record, which starts at "Latest checkpoint
        // location" and takes some bytes: the node has WAL at least one byte past that point, so it may only
        // follow if the upstream's history left its timeline strictly after the checkpoint record began.
        // A node that did not shut down cleanly may have WAL far beyond its last checkpoint: unknown, so rewind.
        // A server stopped in recovery may hold WAL past its last restartpoint that pg_control does not show:
        // WAL it received and had not replayed, or, a former primary started read-only, WAL it wrote itself
        // before (a fault run: such a node was judged by its checkpoint, 0/3000060, as ending before the fork at
        // 0/446FBD0, and could not stream). On the upstream's own timeline that WAL came from the upstream's line,
        // so the checkpoint rule stands there; against a newer timeline the node is rewound, which costs nothing
        // when nothing diverged (pg_rewind finds nothing to undo).
        bool stoppedInRecoveryBeforeAFork = node.ClusterState == "shut down in recovery" && node.TimelineId != upstreamHistory.Timeline;
        bool clean = IsCleanShutdown(node.ClusterState) && !stoppedInRecoveryBeforeAFork;
        var endOfWalAtLeast = new PgHaLsn(checkpoint.Value + 1);
        FollowVerdict verdict = upstreamHistory.CanFollowFrom(node.TimelineId, endOfWalAtLeast);
        string where = $"{nodeName} is on timeline {node.TimelineId} with its last checkpoint at {checkpoint} (state \"{node.ClusterState}\"); {upstreamName} is on timeline {upstreamHistory.Timeline}";
        string forkText = upstreamHistory.SwitchPointOf(node.TimelineId) is { } fork ? $", which left timeline {node.TimelineId} at {fork}" : string.Empty;

        if (verdict == FollowVerdict.NotOnHistory)
        {
            throw new PgHaException(PgHaErrorIds.RejoinNeedsClone, nodeName,
                $"{where}, whose history does not contain timeline {node.TimelineId}: neither following nor pg_rewind can bring it back. " +
                $"Clone it again: New-PgHaStandby -Name {nodeName} -Force -Start -Register.");
        }

        string? whyRewind = null;
        if (verdict == FollowVerdict.Diverged)
        {
            whyRewind = $"{where}{forkText}: {nodeName} wrote WAL past that point that {upstreamName} does not have (it diverged)";
        }
        else if (node.TimelineId == upstreamHistory.Timeline && upstreamCurrentLsn is { } current && checkpoint > current)
        {
            whyRewind = $"{where} at {current}: {nodeName} is ahead of its upstream on the same timeline";
        }
        else if (stoppedInRecoveryBeforeAFork)
        {
            whyRewind = $"{where}{forkText}: {nodeName} was stopped in recovery, so its WAL (received, or written as a primary before) may go on past its last restartpoint and past the fork";
        }
        else if (!clean)
        {
            whyRewind = $"{where}{forkText}: {nodeName} was not shut down cleanly, so its WAL may go on past its last checkpoint and past the fork";
        }

        if (whyRewind is null)
        {
            return new RejoinVerdict(RejoinMethod.Direct, $"{where}{forkText}: its WAL ends on {upstreamName}'s history, so it can follow directly.");
        }
        if (!rewind.RewindPossible)
        {
            throw new PgHaException(PgHaErrorIds.RejoinRewindImpossible, nodeName,
                $"{whyRewind}. It needs pg_rewind, but its data directory has neither wal_log_hints nor data checksums, which pg_rewind requires. " +
                $"Clone it again: New-PgHaStandby -Name {nodeName} -Force -Start -Register (and set wal_log_hints = on for the next time).");
        }
        if (!forceRewind)
        {
            throw new PgHaException(PgHaErrorIds.RejoinNeedsRewind, nodeName,
                $"{whyRewind}. It needs pg_rewind, which discards its diverged changes and copies the changed files from {upstreamName}: " +
                $"run Invoke-PgHaRejoin -Name {nodeName} -ForceRewind (-WhatIf shows the decision first), or clone it again with New-PgHaStandby -Force.");
        }
        return new RejoinVerdict(RejoinMethod.Rewind, $"{whyRewind}: pg_rewind (-ForceRewind) first.");
    }
}
