using PgHa;
using PgHa.Operations.Host;
using Xunit;

namespace PgHa.UnitTests.Engine;

/// <summary>Which WAL segment file holds where a timeline began, and the offset in it (PostgreSQL's XLogFileName).</summary>
public sealed class TimelineStartTests
{
    [Theory]
    [InlineData(2, "0/445D7C0", 16L * 1024 * 1024, "000000020000000000000004", 0x45D7C0L)]
    [InlineData(2, "0/5000000", 16L * 1024 * 1024, "000000020000000000000005", 0L)]             // a timeline that began on a segment boundary
    [InlineData(3, "1/2A000028", 16L * 1024 * 1024, "00000003000000010000002A", 0x28L)]          // above 4 GB: the high word names the "log" id
    [InlineData(10, "0/3000060", 64L * 1024 * 1024, "0000000A0000000000000000", 0x3000060L)]     // initdb --wal-segsize=64
    public void LocatesTheSegmentAndOffset(int timeline, string lsn, long segmentSize, string file, long offset)
    {
        var (actualFile, actualOffset) = TimelineStart.Locate(timeline, PgHaLsn.Parse(lsn), segmentSize);
        Assert.Equal(file, actualFile);
        Assert.Equal(offset, actualOffset);
    }

    private static readonly string Server = string.Concat(Enumerable.Repeat("d1", 24)) + string.Concat(Enumerable.Repeat("ab", 72));

    [Fact]
    public void BytesTellTwoTimelinesApartOnlyWhereTheNodeWrote()
    {
        Assert.False(TimelineStart.Differs(Server, Server));                                                       // the same timeline
        Assert.True(TimelineStart.Differs(Server[..100] + "ff" + Server[102..], Server));                         // another record there
        Assert.False(TimelineStart.Differs(Server[..120] + new string('0', Server.Length - 120), Server));          // the stream stopped early: zeros say nothing
        Assert.False(TimelineStart.Differs("d1d1" + new string('0', Server.Length - 4), "ffff" + Server[4..]));   // too few written bytes to tell
        Assert.False(TimelineStart.Differs(null, Server));
        Assert.False(TimelineStart.Differs(Server, null));
    }
}
