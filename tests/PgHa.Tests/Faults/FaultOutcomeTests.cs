using Xunit;

namespace PgHa.Tests.Faults;

/// <summary>The fault suite's own claims, as <see cref="FaultOutcome"/> judges them (no servers).</summary>
public sealed class FaultOutcomeTests
{
    private static FaultOutcome Outcome(double allStreaming, double? restartedMonitorStart) => new()
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
    };

    [Theory]
    [InlineData(14.9, null, true)]
    [InlineData(15.1, null, false)]
    [InlineData(18.0, 5.0, true)]   // 13 s once the restarted monitor ran
    [InlineData(18.0, 2.0, false)]  // 16 s once it ran
    [InlineData(15.1, 0.0, false)]  // restarted before the heal: nothing is taken off
    public void StreamingBoundCountsFromTheRestartedMonitorsStart(double allStreaming, double? start, bool passes)
    {
        FaultOutcome outcome = Outcome(allStreaming, start);
        Assert.Equal(passes, outcome.Passed);
        if (!passes && start is not null)
        {
            Assert.Contains("after the restarted monitor ran", Assert.Single(outcome.Failures), StringComparison.Ordinal);
            Assert.Contains("process start", outcome.ToString(), StringComparison.Ordinal);
        }
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
            ["node1"] = [1.0, 9.98, 10.0],        // writes until the fault at 10 s
            ["node2"] = [14.0, 14.02, 30.0],       // promoted 4 s after the fault; then 15.98 s without a write of its own
            ["node3"] = [22.0],                    // another node's write splits that stretch
        });
        Assert.Equal(8.0, watch.LongestWithoutWrites(10, 31), 6);    // 22.0 -> 30.0 (14.02 -> 22.0 is 7.98 s)
        Assert.Equal(10.0, watch.LongestWithoutWrites(10, 40), 6);   // the end counts too: 30 -> 40
        Assert.Equal(5.0, watch.LongestWithoutWrites(25, 30), 6);    // nothing acknowledged from the fault to 30 s
    }

    [Fact]
    public void SafetyClaimsIgnoreTheRestartedMonitor()
    {
        FaultOutcome outcome = Outcome(10, 30) with { PrimariesAtEnd = 2 };
        Assert.Equal("2 primaries at the end", Assert.Single(outcome.Failures));
    }
}
