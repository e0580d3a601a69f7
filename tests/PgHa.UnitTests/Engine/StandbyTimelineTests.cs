using PgHa;
using PgHa.Sql;
using Xunit;

namespace PgHa.UnitTests.Engine;

/// <summary>A standby's timeline from its WAL file names, when no WAL receiver reports it.</summary>
public sealed class StandbyTimelineTests
{
    private const long SixteenMegabytes = 16 * 1024 * 1024;

    // Seen on a PostgreSQL 15 standby that followed a new primary onto timeline 2 and then lost it: pg_control
    // still said timeline 1 (no restartpoint since), its WAL receiver was gone, and it had replayed to 0/4018228.
    private static readonly string[] CrossedToTwo =
        ["000000010000000000000003", "000000010000000000000004", "00000002.history", "000000020000000000000004"];

    [Fact]
    public void TheNewestTimelineHoldingThePositionWins() =>
        Assert.Equal(2, StandbyTimeline.FromWalFileNames(CrossedToTwo, PgHaLsn.Parse("0/4018228"), SixteenMegabytes, reported: 1));

    [Fact]
    public void APositionAtASegmentBoundaryBelongsToTheSegmentBefore() =>
        // WAL ending exactly at 0/5000000 ends in segment 4; segment 5 need not exist yet.
        Assert.Equal(2, StandbyTimeline.FromWalFileNames(CrossedToTwo, PgHaLsn.Parse("0/5000000"), SixteenMegabytes, reported: 1));

    [Fact]
    public void ANewerTimelineInAnotherSegmentDoesNotCount() =>
        // A standby still on timeline 1 at 0/3800000 has no timeline-2 file of segment 3 (it never received that timeline there).
        Assert.Equal(1, StandbyTimeline.FromWalFileNames(CrossedToTwo, PgHaLsn.Parse("0/3800000"), SixteenMegabytes, reported: 1));

    [Fact]
    public void NeverOlderThanWhatTheServerReports() =>
        Assert.Equal(3, StandbyTimeline.FromWalFileNames(CrossedToTwo, PgHaLsn.Parse("0/4018228"), SixteenMegabytes, reported: 3));

    [Fact]
    public void SegmentNamesSplitTheSegmentNumberByTheSegmentSize() =>
        // 1 GB segments: 4 per 4 GB "xlog id"; 1/50000000 is segment 5 = id 1, segment 1.
        Assert.Equal(10, StandbyTimeline.FromWalFileNames(["0000000A0000000100000001", "000000090000000100000001"], PgHaLsn.Parse("1/50000000"), 1024L * 1024 * 1024, reported: 1));
}
