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
        // A primary whose monitor asks for no vouches (it is gone): only the detection window counts.
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

    // The early vote-out: a member that no longer sees the primary votes it out once the fence timeout and a
    // margin (3.5 + 1 s) have passed since it last vouched for it, not a whole detection window (7 s) after
    // its last successful check: the primary's lease came from a round that began before that vouch.

    [Fact]
    public void AfterTheFirstWindow_AMemberVotesFourAndAHalfSecondsAfterItsLastVouch()
    {
        var watch = new LeaderWatch(1, 1, 0);
        watch.Seen(20_000);
        watch.Vouched(20_100);
        watch.Missed(confirmedDown: false);
        Assert.False(watch.HasFailed(24_599, Defaults));
        Assert.True(watch.HasFailed(24_600, Defaults));
    }

    [Fact]
    public void NoEarlyVoteWhileTheMemberStillSeesThePrimary()
    {
        var watch = new LeaderWatch(1, 1, 0);
        watch.Vouched(10_000);
        watch.Seen(11_000); // a check reached it; no renewal was asked for since
        Assert.False(watch.HasFailed(12_499, Defaults), "still fresh");
        Assert.False(watch.HasFailed(14_499, Defaults), "freshness over, 4.5 s not yet");
        Assert.True(watch.HasFailed(14_500, Defaults), "freshness over and 4.5 s since the vouch");
    }

    [Fact]
    public void APrimaryWhoseMonitorStoppedAskingGetsTheWholeWindow()
    {
        // Seen for another 10 s after the last vouch (its monitor died; nothing would fence it): a blip of its
        // server must not get it voted out, or it would stay writable beside the new primary.
        var watch = new LeaderWatch(1, 1, 0);
        watch.Vouched(10_000);
        watch.Seen(20_000);
        watch.Missed(confirmedDown: false);
        Assert.False(watch.HasFailed(26_999, Defaults));
        Assert.True(watch.HasFailed(27_000, Defaults));
    }

    [Fact]
    public void EveryVouchPutsTheEarlyVoteBack()
    {
        var watch = new LeaderWatch(1, 1, 0);
        watch.Seen(20_000);
        watch.Vouched(21_400);
        watch.Missed(confirmedDown: false);
        Assert.False(watch.HasFailed(25_899, Defaults));
        watch.Vouched(10_000); // an older time never moves it back
        Assert.True(watch.HasFailed(25_900, Defaults));
    }

    [Fact]
    public void AWatchThatDidNotBeginWithThisMembersVote_WaitsOneDetectionWindowFirst()
    {
        // A first start, the metadata, an announcement: the primary may hold a lease nobody here vouched for.
        var watch = new LeaderWatch(1, 1, 10_000);
        watch.Missed(confirmedDown: false);
        Assert.False(watch.HasFailed(16_999, Defaults));
        Assert.True(watch.HasFailed(17_000, Defaults));
    }

    [Fact]
    public void AWatchThatBeganWithThisMembersVote_MayVoteEarly()
    {
        // The winner's lease began before the vote: 4.5 s after the vote (and with no vouch since) it has ended.
        var watch = new LeaderWatch(2, 2, 10_000, grantedVote: true);
        watch.Missed(confirmedDown: false);
        Assert.False(watch.HasFailed(14_499, Defaults));
        Assert.True(watch.HasFailed(14_500, Defaults));
    }

    [Fact]
    public void AResumeGivesThePrimaryAWholeWindowAgain()
    {
        // The primary extended its own lease at its resume, which no member vouched for.
        var watch = new LeaderWatch(2, 2, 0, grantedVote: true);
        watch.Restart(50_000);
        watch.Missed(confirmedDown: false);
        Assert.False(watch.HasFailed(56_999, Defaults));
        Assert.True(watch.HasFailed(57_000, Defaults));
    }

    [Fact]
    public void TheEarlyVoteComesAfterTheLeaseOfEveryRoundThatCountedThisMember()
    {
        // The argument in numbers, at the defaults: a renewal round that began at R and counted this member's
        // vouch at V >= R extends the lease to R + FenceTimeout; the member votes no sooner than V + 4.5 s.
        var settings = Defaults;
        long roundStart = 30_000, vouch = 30_050;
        var watch = new LeaderWatch(1, 1, 0);
        watch.Seen(vouch - 400);
        watch.Vouched(vouch);
        watch.Missed(confirmedDown: false);
        long leaseEnd = roundStart + (long)settings.FenceTimeout.TotalMilliseconds;
        long firstVote = Enumerable.Range(0, 20_000).Select(i => vouch + i).First(t => watch.HasFailed(t, settings));
        Assert.True(firstVote - leaseEnd >= MonitorSettings.VouchMargin.TotalMilliseconds, $"vote at {firstVote}, lease end {leaseEnd}");
    }
}
