using System.Management.Automation;
using PgHa.Core;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>The defaults, the derived times, and the ordering the safety of fencing rests on.</summary>
public sealed class MonitorSettingsTests
{
    [Fact]
    public void TheDefaultsAreTheDocumentedOnes()
    {
        var settings = new MonitorSettings();
        Assert.Equal(PgHaFailoverMode.Automatic, settings.Failover);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.MonitorInterval);
        Assert.Equal(7, settings.ReconnectAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.ReconnectInterval);
        Assert.Equal(TimeSpan.FromSeconds(3.5), settings.FenceTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.ConfirmedDownGrace);
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.PeerTimeout);
        Assert.Equal(PgHaStalePrimaryAction.Rejoin, settings.StalePrimary);
    }

    [Fact]
    public void TheDefaultsDetectInSevenSecondsAndFenceWithAMarginOfThreeQuartersOfASecond()
    {
        var settings = new MonitorSettings();
        Assert.Equal(TimeSpan.FromSeconds(7), settings.DetectionWindow);
        Assert.Equal(TimeSpan.FromSeconds(1.5), settings.SupportFreshness);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.PrimaryCheckInterval);
        // 7 - (1.5 + 0.5 + 3.5 + (0.25 + 0.5)) = 0.75 s: the primary's round includes waiting for answers that do not come.
        Assert.Equal(TimeSpan.FromSeconds(0.75), settings.FencingMargin);
        settings.Validate();
    }

    [Fact]
    public void AShortMonitorIntervalChecksThePrimarysSupportMoreOften()
    {
        var settings = new MonitorSettings { MonitorInterval = TimeSpan.FromMilliseconds(400) };
        Assert.Equal(TimeSpan.FromMilliseconds(100), settings.PrimaryCheckInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(900), settings.SupportFreshness);
    }

    [Fact]
    public void AFenceTimeoutThatEndsTooCloseToTheDetectionWindowIsRefused()
    {
        var settings = new MonitorSettings { FenceTimeout = TimeSpan.FromSeconds(4) };
        var ex = Assert.Throws<PgHaException>(settings.Validate);
        Assert.Equal("PgHaMonitorUnsafeTimeouts", ex.ErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, ex.Category);
        Assert.Equal("FenceTimeout", ex.Target);
        // The message gives the numbers and the way out.
        Assert.Contains("detection window 7 s (7 x 1 s)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fence timeout 4 s", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-FenceTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMarginOfExactlyHalfASecondIsAccepted()
    {
        var settings = new MonitorSettings { FenceTimeout = TimeSpan.FromSeconds(3.75) };
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.FencingMargin);
        settings.Validate();
    }

    [Fact]
    public void RepmgrsTwoSecondIntervalNeedsALongerWindow()
    {
        var twoSeconds = new MonitorSettings { MonitorInterval = TimeSpan.FromSeconds(2) };
        Assert.Equal("PgHaMonitorUnsafeTimeouts", Assert.Throws<PgHaException>(twoSeconds.Validate).ErrorId);

        (twoSeconds with { ReconnectAttempts = 8 }).Validate();
    }

    [Fact]
    public void RepmgrsOwnDefaultsAreSafe()
    {
        // monitor_interval_secs 2, reconnect_attempts 6, reconnect_interval 10: a minute to detect.
        var settings = new MonitorSettings
        {
            MonitorInterval = TimeSpan.FromSeconds(2),
            ReconnectAttempts = 6,
            ReconnectInterval = TimeSpan.FromSeconds(10),
        };
        Assert.Equal(TimeSpan.FromSeconds(60), settings.DetectionWindow);
        settings.Validate();
    }

    [Fact]
    public void AConfirmedDownGraceLongerThanTheDetectionWindowIsRefused()
    {
        var settings = new MonitorSettings { ConfirmedDownGrace = TimeSpan.FromSeconds(8) };
        var ex = Assert.Throws<PgHaException>(settings.Validate);
        Assert.Equal("PgHaMonitorUnsafeTimeouts", ex.ErrorId);
        Assert.Equal("ConfirmedDownGrace", ex.Target);
    }

    [Fact]
    public void TheLeaderKeyIsKeptAliveEveryPrimaryCheckUnlessAnIntervalIsGiven()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), new MonitorSettings().LeaderKeepAliveInterval);
        var patroniCadence = new MonitorSettings { EtcdKeepAliveInterval = TimeSpan.FromSeconds(1) };
        Assert.Equal(TimeSpan.FromSeconds(1), patroniCadence.LeaderKeepAliveInterval);
        patroniCadence.Validate();
        (patroniCadence with { EtcdFailsafe = true }).Validate();
        // 3.5 s fence timeout - 0.25 s primary check - 1.75 s etcd deadline; failsafe also leaves the members 0.5 s.
        Assert.Equal(TimeSpan.FromSeconds(1.5), patroniCadence.LongestEtcdKeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), (patroniCadence with { EtcdFailsafe = true }).LongestEtcdKeepAliveInterval);
        (patroniCadence with { EtcdKeepAliveInterval = TimeSpan.FromSeconds(1.5) }).Validate();
    }

    [Theory]
    [InlineData(1.6, false, "at most 1.5 s")]
    [InlineData(0, false, "at most 1.5 s")]
    [InlineData(1.2, true, "at most 1 s")]
    public void AnEtcdKeepAliveIntervalThatCouldOutlastTheLeaseOrNoneAtAllIsRefused(double seconds, bool failsafe, string limit)
    {
        var settings = new MonitorSettings { EtcdKeepAliveInterval = TimeSpan.FromSeconds(seconds), EtcdFailsafe = failsafe };
        var ex = Assert.Throws<PgHaException>(settings.Validate);
        Assert.Equal("PgHaMonitorUnsafeTimeouts", ex.ErrorId);
        Assert.Equal("EtcdKeepAliveInterval", ex.Target);
        Assert.Contains(limit, ex.Message, StringComparison.Ordinal);
        Assert.Contains("-EtcdKeepAliveInterval", ex.Message, StringComparison.Ordinal);
    }
}
