using PgHa.Operations.Monitor.Health;
using Xunit;

namespace PgHa.UnitTests.Monitor.Health;

public sealed class LagLimitTests
{
    [Theory]
    [InlineData("1048576", 1048576L)]
    [InlineData("16MB", 16L * 1024 * 1024)]
    [InlineData("16 MB", 16L * 1024 * 1024)]
    [InlineData("16mb", 16L * 1024 * 1024)]
    [InlineData("8kB", 8192L)]
    [InlineData("1GiB", 1024L * 1024 * 1024)]
    [InlineData("1.5MB", 1572864L)]
    [InlineData("0", 0L)]
    [InlineData("2TB", 2L * 1024 * 1024 * 1024 * 1024)]
    public void Bytes(string text, long bytes)
    {
        Assert.True(LagLimit.TryParse(text, out LagLimit? limit, out string? error), error);
        Assert.Equal(bytes, limit!.Bytes);
        Assert.Null(limit.Time);
    }

    [Theory]
    [InlineData("5s", 5.0)]
    [InlineData("500ms", 0.5)]
    [InlineData("2min", 120.0)]
    [InlineData("1h", 3600.0)]
    [InlineData("0.25s", 0.25)]
    public void Time(string text, double seconds)
    {
        Assert.True(LagLimit.TryParse(text, out LagLimit? limit, out string? error), error);
        Assert.Equal(seconds, limit!.Time!.Value.TotalSeconds, 6);
        Assert.Null(limit.Bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-5s")]
    [InlineData("5 parsecs")]
    [InlineData("5m")]
    [InlineData("1e3")]
    public void Refused_WithAMessage(string text)
    {
        Assert.False(LagLimit.TryParse(text, out _, out string? error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Allows_UnknownLagIsNotWithinAnyLimit()
    {
        LagLimit.TryParse("1kB", out LagLimit? bytes, out _);
        Assert.True(bytes!.Allows(1024, null));
        Assert.False(bytes.Allows(1025, 0));
        Assert.False(bytes.Allows(null, 0));
        LagLimit.TryParse("5s", out LagLimit? time, out _);
        Assert.True(time!.Allows(null, 5));
        Assert.False(time.Allows(0, 5.01));
        Assert.False(time.Allows(0, null));
    }
}
