using Xunit;

namespace PgHa.Tests.Faults;

/// <summary>The fault suite's own claims, as <see cref="FaultOutcome"/> judges them (no servers).</summary>
public sealed class FaultOutcomeTests
{
    private static FaultOutcome Outcome(double allStreaming, double? restartedMonitorStart, double? onceRunning = null) => new()
    {
        Scenario = "Reboot",
        Synchronous = false,
        FaultAtUtc = DateTimeOffset.UnixEpoch,
        MaxWritableAtOnce = 1,
        TwoWritableSeconds = 0,
        AckedWrites = 10,
        LostAckedWrites = 0,
        LostByNode = "",
        PrimariesAtEnd = 1,
        FinalPrimary = "node2",
        TimeToOnePrimary = 4,
        TimeToAllStreaming = allStreaming,
        RestartedMonitorStart = restartedMonitorStart,
        TimeToAllStreamingOnceRunning = onceRunning,
    };

    [Theory]
    [InlineData(14.9, null, null, true)]
    [InlineData(15.1, null, null, false)]
    [InlineData(18.0, 5.0, 13.0, true)]   // the restarted node streamed 13 s after its monitor ran
    [InlineData(18.0, 2.0, 16.0, false)]
    public void StreamingBoundCountsTheRestartedNodeFromWhenItsMonitorRan(double allStreaming, double? start, double? onceRunning, bool passes)
    {
        FaultOutcome outcome = Outcome(allStreaming, start, onceRunning);
        Assert.Equal(passes, outcome.Passed);
        if (!passes && start is not null)
        {
            Assert.Contains("counted from when it ran", Assert.Single(outcome.Failures), StringComparison.Ordinal);
            Assert.Contains("after the heal", outcome.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void OnlyTheRestartedNodeIsCountedFromItsMonitorsStart_AndAtMostSevenSecondsOfIt()
    {
        var since = new Dictionary<string, double> { ["node3->node2"] = 12.0, ["node1->node2"] = 15.5, ["node1->node3"] = 30.0 };
        Assert.Equal(12.0, FaultCluster.AllStreamingOnceRunning("node2", 15.5, since, ("node1", 5.0)));       // node1: 10.5; node3 from the heal: 12
        Assert.Equal(8.5, FaultCluster.AllStreamingOnceRunning("node2", 15.5, new Dictionary<string, double> { ["node1->node2"] = 15.5 }, ("node1", 9.0))); // 7 s at most
        Assert.Equal(15.5, FaultCluster.AllStreamingOnceRunning("node2", 15.5, since, ("node3", 5.0)));      // the slow node was not the restarted one: 15.5
        Assert.Equal(15.5, FaultCluster.AllStreamingOnceRunning("node2", 15.5, since, null));
    }

    [Fact]
    public void AClusterWithoutWritesForLongerThanTheBoundFails()
    {
        Assert.True((Outcome(10, null) with { LongestWithoutWrites = 14.9 }).Passed);
        FaultOutcome outcome = Outcome(10, null) with { LongestWithoutWrites = 33.2 };
        Assert.Equal("no node took a write for 33.2 s (more than 15 s)", Assert.Single(outcome.Failures));
    }

    [Fact]
    public void TheLongestStretchWithoutWritesCountsEveryNodeFromTheFaultToTheEnd()
    {
        var watch = new WriteWatch(1, 0, null, null, new Dictionary<string, IReadOnlyList<double>>
        {
            ["node1"] = [1.0, 9.98, 10.0, 22.0],  // writes until the fault at 10 s; then one probe acknowledged late, alone
            ["node2"] = [14.0, 14.02, 30.0, 30.02], // promoted 4 s after the fault; nothing between 14.02 and 30
        });
        Assert.Equal(15.98, watch.LongestWithoutWrites(10, 31), 6); // the lone ack at 22 s is no primary
        Assert.Equal(15.98, watch.LongestWithoutWrites(10, 40), 6); // the end: 30.02 -> 40 is 9.98 s
        Assert.Equal(5.0, watch.LongestWithoutWrites(25, 30.01), 6); // nothing from the fault at 25 s to 30 s
        var another = new WriteWatch(1, 0, null, null, new Dictionary<string, IReadOnlyList<double>>
        {
            ["node2"] = [14.0, 14.02, 30.0, 30.02],
            ["node3"] = [22.0, 22.02],          // another node's writes split the stretch
        });
        Assert.Equal(7.98, another.LongestWithoutWrites(10, 31), 6);
        Assert.Equal(21.0, new WriteWatch(0, 0, null, null, new Dictionary<string, IReadOnlyList<double>>()).LongestWithoutWrites(10, 31), 6);
    }

    [Fact]
    public void SafetyClaimsIgnoreTheRestartedMonitor()
    {
        FaultOutcome outcome = Outcome(10, 30) with { PrimariesAtEnd = 2 };
        Assert.Equal("2 primaries at the end", Assert.Single(outcome.Failures));
    }
}
