using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>When a member vouches for the primary and when it may vote it out, with explicit monotonic times.</summary>
public sealed class LeaderWatchTests
{
    // Defaults: a member vouches for 1.5 s after a successful check; the detection window is 7 s.
    private static readonly MonitorSettings Defaults = new();

    [Fact]
    public void ANewWatchStartsAsSeen()
    {
        var watch = new LeaderWatch(term: 1, leaderId: 1, nowMs: 10_000);
        Assert.Equal(10_000, watch.LastSeenMs);
        Assert.True(watch.Vouches(10_000, Defaults));
        Assert.False(watch.HasFailed(10_000, Defaults));
        Assert.Equal(0.0, watch.SecondsSinceSeen(10_000));
    }

    [Fact]
    public void AMemberVouchesForLessThanTheSupportFreshness()
    {
        var watch = new LeaderWatch(1, 1, 10_000);
        Assert.True(watch.Vouches(11_499, Defaults));
        Assert.False(watch.Vouches(11_500, Defaults));
    }

    [Fact]
    public void ThePrimaryHasFailedOnceTheDetectionWindowHasPassedSinceItWasSeen()
    {
        var watch = new LeaderWatch(1, 1, 10_000);
        watch.Missed(confirmedDown: false);
        Assert.False(watch.HasFailed(16_999, Defaults));
        Assert.True(watch.HasFailed(17_000, Defaults));
        Assert.Equal(7.0, watch.SecondsSinceSeen(17_000));
    }

    [Fact]
    public void ASuccessfulCheckStartsTheWindowAgain()
    {
        var watch = new LeaderWatch(1, 1, 10_000);
        watch.Seen(14_000);
        Assert.False(watch.HasFailed(20_999, Defaults));
        Assert.True(watch.HasFailed(21_000, Defaults));
        Assert.True(watch.Vouches(15_000, Defaults));
    }

    [Fact]
    public void MissedChecksAloneDoNotShortenTheWindow()
    {
        var watch = new LeaderWatch(1, 1, 10_000);
        for (int i = 0; i < 20; i++)
        {
            watch.Missed(confirmedDown: false);
        }
        Assert.False(watch.HasFailed(15_999, Defaults));
        Assert.True(watch.Vouches(11_000, Defaults));
    }

    [Fact]
    public void ConfirmedDownFailsAtOnceAndStopsVouching()
    {
        var watch = new LeaderWatch(1, 1, 10_000);
        watch.Missed(confirmedDown: true);
        Assert.True(watch.HasFailed(10_001, Defaults));
        Assert.False(watch.Vouches(10_001, Defaults));
    }

    [Fact]
    public void SeeingThePrimaryAgainClearsConfirmedDown()
    {
        var watch = new LeaderWatch(1, 1, 10_000);
        watch.Missed(confirmedDown: true);
        watch.Seen(10_500);
        Assert.False(watch.HasFailed(10_600, Defaults));
        Assert.True(watch.Vouches(10_600, Defaults));
    }

    [Fact]
    public void WithoutAPrimaryNothingIsVouchedForAndNothingFails()
    {
        var watch = new LeaderWatch(term: 1, leaderId: null, nowMs: 10_000);
        watch.Missed(confirmedDown: true);
        Assert.False(watch.Vouches(10_000, Defaults));
        Assert.False(watch.HasFailed(100_000, Defaults));
    }

    [Fact]
    public void TheWindowsFollowTheSettings()
    {
        // Monitor interval 2 s: vouch for 2.5 s. 4 x 2 s: vote out after 8 s.
        var settings = new MonitorSettings
        {
            MonitorInterval = TimeSpan.FromSeconds(2),
            ReconnectAttempts = 4,
            ReconnectInterval = TimeSpan.FromSeconds(2),
        };
        var watch = new LeaderWatch(1, 1, 0);
        Assert.True(watch.Vouches(2_499, settings));
        Assert.False(watch.Vouches(2_500, settings));
        Assert.False(watch.HasFailed(7_999, settings));
        Assert.True(watch.HasFailed(8_000, settings));
    }

    [Fact]
    public void AWatchKeepsItsTermAndLeader()
    {
        var watch = new LeaderWatch(term: 7, leaderId: 3, nowMs: 0);
        Assert.Equal(7, watch.Term);
        Assert.Equal(3, watch.LeaderId);
    }

    [Fact]
    public void AResumeStartsTheDetectionWindowAgain()
    {
        var watch = new LeaderWatch(1, 1, 10_000);
        watch.Missed(confirmedDown: false);
        Assert.True(watch.HasFailed(30_000, Defaults)); // unreachable all through a pause
        watch.Restart(30_000);
        Assert.False(watch.HasFailed(36_999, Defaults));
        Assert.True(watch.HasFailed(37_000, Defaults));
    }

    [Fact]
    public void AResumeKeepsALeaderThatWasConfirmedDown()
    {
        var watch = new LeaderWatch(1, 1, 10_000);
        watch.Missed(confirmedDown: true);
        watch.Restart(30_000);
        Assert.True(watch.HasFailed(30_000, Defaults));
        Assert.False(watch.Vouches(30_000, Defaults));
    }
}
