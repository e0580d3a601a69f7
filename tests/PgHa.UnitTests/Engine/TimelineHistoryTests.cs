using PgHa;
using PgHa.Operations.Roles;
using Xunit;

namespace PgHa.UnitTests.Engine;

public sealed class TimelineHistoryTests
{
    // What 00000003.history looks like after two promotions.
    private const string Three = "1\t0/3000060\tno recovery target specified\n\n2\t0/5000A28\tno recovery target specified\n";

    [Fact]
    public void ReadsSwitchPoints()
    {
        var history = TimelineHistory.Parse(3, Three);
        Assert.Equal(PgHaLsn.Parse("0/3000060"), history.SwitchPointOf(1));
        Assert.Equal(PgHaLsn.Parse("0/5000A28"), history.SwitchPointOf(2));
        Assert.Null(history.SwitchPointOf(3));
        Assert.True(history.Contains(1) && history.Contains(2) && history.Contains(3));
        Assert.False(history.Contains(4));
    }

    [Theory]
    [InlineData(3, "0/9000000", "Yes")]          // same timeline
    [InlineData(2, "0/5000A28", "Yes")]          // stopped exactly at the switch point (clean switchover)
    [InlineData(2, "0/5000000", "Yes")]          // behind the switch point: catches up on the new timeline
    [InlineData(2, "0/5000A30", "Diverged")]     // wrote past it: an old primary after failover
    [InlineData(1, "0/4000000", "Diverged")]
    [InlineData(4, "0/1000000", "NotOnHistory")]
    public void DecidesWhetherANodeCanFollow(int timeline, string position, string expected) =>
        Assert.Equal(Enum.Parse<FollowVerdict>(expected), TimelineHistory.Parse(3, Three).CanFollowFrom(timeline, PgHaLsn.Parse(position)));

    [Fact]
    public void ABranchThatIsNotAnAncestorCannotBeFollowed()
    {
        // Timeline 3 branched from 1; a node on timeline 2 (a sibling branch) is not on its history.
        var history = TimelineHistory.Parse(3, "1\t0/3000060\tno recovery target specified\n");
        Assert.Equal(FollowVerdict.NotOnHistory, history.CanFollowFrom(2, PgHaLsn.Parse("0/3000000")));
    }

    [Theory]
    [InlineData("x\t0/1\treason")]
    [InlineData("1\tnot-an-lsn\treason")]
    [InlineData("3\t0/1\treason")]
    [InlineData("2\t0/1\tr\n1\t0/2\tr")]
    public void RejectsMalformedHistories(string text) => Assert.Throws<FormatException>(() => TimelineHistory.Parse(3, text));

    [Fact]
    public void TimelineOneHasNoParents() => Assert.Equal(FollowVerdict.Yes, TimelineHistory.First.CanFollowFrom(1, PgHaLsn.Parse("5/0")));

    [Theory]
    [InlineData(2, "1\t0/3000060\tr\n", true)]                       // the upstream's own timeline 2, an ancestor of 3
    [InlineData(3, Three, true)]                                         // the same timeline, the same history
    [InlineData(1, "", true)]                                            // timeline 1 is everyone's
    [InlineData(2, "1\t0/3000100\tr\n", false)]                      // timeline 2 made twice: left timeline 1 elsewhere
    [InlineData(3, "1\t0/3000060\tr\n2\t0/5000B00\tr\n", false)]  // timeline 3 made twice
    [InlineData(4, "1\t0/3000060\tr\n2\t0/5000A28\tr\n3\t0/7000000\tr\n", false)] // ahead of the upstream
    public void TellsATimelineMadeTwiceFromTheUpstreamsOwn(int timeline, string text, bool expected)
    {
        TimelineHistory own = timeline == 1 ? TimelineHistory.First : TimelineHistory.Parse(timeline, text);
        Assert.Equal(expected, own.IsOnHistoryOf(TimelineHistory.Parse(3, Three)));
    }

    [Fact]
    public void ABranchWithAnAncestorTheUpstreamSkippedIsNotOnItsHistory()
    {
        // Upstream 3 left 1 directly; a timeline 3 that went 1 -> 2 -> 3 is another timeline 3.
        var upstream = TimelineHistory.Parse(3, "1\t0/3000060\tr\n");
        Assert.False(TimelineHistory.Parse(3, "1\t0/3000060\tr\n2\t0/5000A28\tr\n").IsOnHistoryOf(upstream));
    }
}
