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
    public void SafetyClaimsIgnoreTheRestartedMonitor()
    {
        FaultOutcome outcome = Outcome(10, 30) with { PrimariesAtEnd = 2 };
        Assert.Equal("2 primaries at the end", Assert.Single(outcome.Failures));
    }
}
