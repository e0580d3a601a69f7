using PgHa;
using Xunit;

namespace PgHa.UnitTests.Engine;

public sealed class PgHaLsnTests
{
    [Theory]
    [InlineData("0/0", 0UL)]
    [InlineData("0/3000060", 0x3000060UL)]
    [InlineData("16/B374D848", 0x16B374D848UL)]
    [InlineData("FFFFFFFF/FFFFFFFF", ulong.MaxValue)]
    [InlineData("a/b", 0xA0000000BUL)]
    public void ParsesAndWritesLikePostgres(string text, ulong value)
    {
        PgHaLsn lsn = PgHaLsn.Parse(text);
        Assert.Equal(value, lsn.Value);
        Assert.Equal(text.ToUpperInvariant(), lsn.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("/1")]
    [InlineData("1/")]
    [InlineData("1/2/3")]
    [InlineData("G/1")]
    [InlineData("100000000/0")]
    [InlineData(" 0/1")]
    public void RejectsWhatIsNotAnLsn(string text)
    {
        Assert.False(PgHaLsn.TryParse(text, out _));
        Assert.Throws<FormatException>(() => PgHaLsn.Parse(text));
    }

    [Fact]
    public void BytesSinceCountsAcrossTheHighWord()
    {
        var before = PgHaLsn.Parse("0/FFFFFF00");
        var after = PgHaLsn.Parse("1/100");
        Assert.Equal(0x200, after.BytesSince(before));
        Assert.Equal(-0x200, before.BytesSince(after));
        Assert.True(after > before);
        Assert.Equal(before, PgHaLsn.Parse("0/ffffff00"));
    }
}
