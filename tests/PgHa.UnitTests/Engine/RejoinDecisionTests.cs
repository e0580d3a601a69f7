using PgHa;
using PgHa.Core;
using PgHa.Operations.Host;
using PgHa.Operations.Roles;
using Xunit;

namespace PgHa.UnitTests.Engine;

/// <summary>The rejoin decision without servers: Direct, Rewind, or a refusal that names the way out.</summary>
public sealed class RejoinDecisionTests
{
    private const string SystemId = "7311111111111111111";

    // Timeline 2 left timeline 1 at 0/3000110: the promoted standby had replayed up to there.
    private static readonly TimelineHistory Two = TimelineHistory.Parse(2, "1\t0/3000110\tno recovery target specified\n");
    private static readonly RewindPrerequisites Hints = new(WalLogHints: true, DataChecksumVersion: 0);
    private static readonly RewindPrerequisites NoHints = new(WalLogHints: false, DataChecksumVersion: 0);

    private static PgControlData Node(string state, int timeline, string checkpoint, string systemId = SystemId) =>
        new(systemId, state, timeline, PgHaLsn.Parse(checkpoint));

    private static RejoinVerdict Decide(PgControlData node, RewindPrerequisites rewind, bool force, TimelineHistory? history = null, string? upstreamLsn = null) =>
        RejoinDecision.Decide("node1", node, rewind, "node2", SystemId, history ?? Two, upstreamLsn is null ? null : PgHaLsn.Parse(upstreamLsn), force);

    [Fact]
    public void ACleanShutdownBeforeTheForkFollowsDirectly()
    {
        // The shutdown checkpoint record starts at 0/3000028 and ends before the switch point.
        RejoinVerdict verdict = Decide(Node("shut down", 1, "0/3000028"), NoHints, force: false);
        Assert.Equal(RejoinMethod.Direct, verdict.Method);
        Assert.Contains("left timeline 1 at 0/3000110", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ANodeStoppedInRecoveryBeforeAForkIsRewound_ItsWalMayGoPastItsLastRestartpoint()
    {
        // Fault run: a former primary started read-only, then stopped; its last restartpoint was far before the fork,
        // its own WAL far past it. On the upstream's own timeline the checkpoint rule stands (the rows below).
        var ex = Assert.Throws<PgHaException>(() => Decide(Node("shut down in recovery", 1, "0/3000028"), Hints, force: false));
        Assert.Equal("PgHaRejoinNeedsRewind", ex.ErrorId);
        Assert.Contains("stopped in recovery", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RejoinMethod.Rewind, Decide(Node("shut down in recovery", 1, "0/3000028"), Hints, force: true).Method);
    }

    [Fact]
    public void ACheckpointThatStartsAtTheForkHasWalBeyondIt()
    {
        var ex = Assert.Throws<PgHaException>(() => Decide(Node("shut down", 1, "0/3000110"), Hints, force: false));
        Assert.Equal("PgHaRejoinNeedsRewind", ex.ErrorId);
    }

    [Fact]
    public void ADivergedNodeNeedsForceRewindAndThenRewinds()
    {
        var ex = Assert.Throws<PgHaException>(() => Decide(Node("shut down", 1, "0/3400000"), Hints, force: false));
        Assert.Equal("PgHaRejoinNeedsRewind", ex.ErrorId);
        Assert.Contains("-ForceRewind", ex.Message, StringComparison.Ordinal);
        Assert.Contains("diverged", ex.Message, StringComparison.Ordinal);

        Assert.Equal(RejoinMethod.Rewind, Decide(Node("shut down", 1, "0/3400000"), Hints, force: true).Method);
    }

    [Fact]
    public void ACrashedNodeIsNeverFollowedDirectly()
    {
        var ex = Assert.Throws<PgHaException>(() => Decide(Node("in production", 1, "0/3000028"), Hints, force: false));
        Assert.Equal("PgHaRejoinNeedsRewind", ex.ErrorId);
        Assert.Contains("not shut down cleanly", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RejoinMethod.Rewind, Decide(Node("in production", 1, "0/3000028"), Hints, force: true).Method);
    }

    /// <summary>
    /// Invoke-PgHaSwitchover -ForceRewind hands its switch to this decision for the old primary: after the
    /// proven handover (the candidate replayed past the shutdown checkpoint, so the new timeline forks after
    /// that record) the answer is Direct with or without the switch; only an old primary that wrote on past
    /// the fork is rewound, and without -ForceRewind that is the refusal the switchover turns into a warning.
    /// </summary>
    [Fact]
    public void ForceRewindRewindsOnlyAnOldPrimaryThatCannotFollowDirectly()
    {
        // The shutdown checkpoint record at 0/3000028 ends before the fork 0/3000110 (its end, where the candidate was promoted).
        Assert.Equal(RejoinMethod.Direct, Decide(Node("shut down", 1, "0/3000028"), Hints, force: true).Method);

        var ex = Assert.Throws<PgHaException>(() => Decide(Node("shut down", 1, "0/3400000"), Hints, force: false));
        Assert.Equal("PgHaRejoinNeedsRewind", ex.ErrorId);
        Assert.Contains("Invoke-PgHaRejoin -Name node1 -ForceRewind", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RejoinMethod.Rewind, Decide(Node("shut down", 1, "0/3400000"), Hints, force: true).Method);
    }

    [Fact]
    public void WithoutHintsOrChecksumsARewindIsImpossible()
    {
        var ex = Assert.Throws<PgHaException>(() => Decide(Node("shut down", 1, "0/3400000"), NoHints, force: true));
        Assert.Equal("PgHaRejoinRewindImpossible", ex.ErrorId);
        Assert.Contains("New-PgHaStandby", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RejoinMethod.Rewind, Decide(Node("shut down", 1, "0/3400000"), new RewindPrerequisites(false, 1), force: true).Method);
    }

    [Fact]
    public void ATimelineOffTheHistoryMustBeCloned()
    {
        var ex = Assert.Throws<PgHaException>(() => Decide(Node("shut down", 3, "0/3000028"), Hints, force: true));
        Assert.Equal("PgHaRejoinNeedsClone", ex.ErrorId);
        Assert.Contains("New-PgHaStandby -Name node1 -Force -Start -Register", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherClusterIsRefused()
    {
        var ex = Assert.Throws<PgHaException>(() => Decide(Node("shut down", 1, "0/3000028", "7300000000000000000"), Hints, force: true));
        Assert.Equal("PgHaRejoinNotSameCluster", ex.ErrorId);
    }

    [Fact]
    public void OnTheSameTimelineANodeAheadOfItsUpstreamNeedsARewind()
    {
        Assert.Equal(RejoinMethod.Direct, Decide(Node("shut down in recovery", 2, "0/5000000"), Hints, force: false, upstreamLsn: "0/6000000").Method);
        var ex = Assert.Throws<PgHaException>(() => Decide(Node("shut down", 2, "0/7000000"), Hints, force: false, upstreamLsn: "0/6000000"));
        Assert.Equal("PgHaRejoinNeedsRewind", ex.ErrorId);
    }

    [Fact]
    public void ReadsRewindPrerequisitesFromPgControlData()
    {
        const string output = "Database cluster state:               shut down\nwal_log_hints setting:                on\nData page checksum version:           0\n";
        Assert.Equal(new RewindPrerequisites(true, 0), RewindPrerequisites.Parse(output));
        Assert.False(RewindPrerequisites.Parse("wal_log_hints setting: off\nData page checksum version: 0\n").RewindPossible);
        Assert.True(RewindPrerequisites.Parse("wal_log_hints setting: off\nData page checksum version: 1\n").RewindPossible);
    }

    [Fact]
    public void ATimelineMadeTwiceIsACloneEvenWhenPgControlStillShowsTheParent()
    {
        // HangingHookThenNewPrimaryCutOff: node1 was promoted to timeline 2 at 0/3000200 and cut off before any
        // standby streamed from it; node2 was promoted to its own timeline 2 at 0/3000110. node1 crashed before
        // a checkpoint, so its pg_control still says timeline 1 and pg_rewind would find "nothing to rewind".
        var own = TimelineHistory.Parse(2, "1\t0/3000200\tno recovery target specified\n");
        var ex = Assert.Throws<PgHaException>(() => RejoinDecision.Decide("node1", Node("in production", 1, "0/3000028"), Hints, "node2", SystemId, Two, null, true, own));
        Assert.Equal("PgHaRejoinNeedsClone", ex.ErrorId);
        Assert.Contains("timeline 2 was made twice", ex.Message, StringComparison.Ordinal);
        Assert.Contains("timeline 1 at 0/3000200", ex.Message, StringComparison.Ordinal);
        Assert.Contains("New-PgHaStandby -Name node1 -Force", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANodeThatFollowedTheUpstreamsOwnTimelineIsDecidedAsBefore()
    {
        var own = TimelineHistory.Parse(2, "1\t0/3000110\tno recovery target specified\n");
        Assert.Equal(RejoinMethod.Direct, RejoinDecision.Decide("node1", Node("shut down in recovery", 2, "0/3400000"), NoHints, "node2", SystemId, Two, null, false, own).Method);
    }
}
