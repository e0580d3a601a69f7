using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>The etcd backend's lease arithmetic: the primary's own lease always ends before etcd may let the key go.</summary>
public sealed class EtcdLeaseTimingTests
{
    [Theory]
    [InlineData(3.5, 4)] // the default fence timeout: a 4 s TTL, 3.5 s kept after each keepalive
    [InlineData(3.0, 4)]
    [InlineData(2.5, 3)] // exactly whole: not one more second
    [InlineData(0.5, 1)]
    [InlineData(29.5, 30)] // Patroni's default TTL
    public void TheTtlIsTheFenceTimeoutPlusTheMarginInWholeSeconds(double fenceSeconds, int ttlSeconds)
    {
        EtcdLeaseTiming timing = EtcdLeaseTiming.For(TimeSpan.FromSeconds(fenceSeconds));

        Assert.Equal(TimeSpan.FromSeconds(ttlSeconds), timing.Ttl);
        Assert.Equal(EtcdLeaseTiming.DefaultMargin, timing.Margin);
        // The primary keeps at least a fence timeout after each keepalive, as with the built-in quorum.
        Assert.True(timing.Ttl - timing.Margin >= TimeSpan.FromSeconds(fenceSeconds));
    }

    [Theory]
    [InlineData(10_000, 4, 13_500)]
    [InlineData(10_000, 2, 11_500)] // etcd raised a TTL below its minimum: the answer's TTL counts
    [InlineData(10_000, 30, 39_500)]
    public void TheLeaseRunsFromTheSendTimeOfTheKeepaliveMinusTheMargin(long sentMs, int grantedSeconds, long validUntilMs)
    {
        EtcdLeaseTiming timing = EtcdLeaseTiming.For(TimeSpan.FromSeconds(3.5));

        long until = timing.ValidUntilMs(sentMs, TimeSpan.FromSeconds(grantedSeconds));

        Assert.Equal(validUntilMs, until);
        // etcd counts the TTL from when its leader handles the keepalive, no earlier than the send: it cannot
        // delete the key before sent + TTL, which is a whole margin after the primary's own lease ended.
        Assert.Equal(timing.Margin.TotalMilliseconds, sentMs + grantedSeconds * 1000 - until);
    }

    [Fact]
    public void ATtlNoLongerThanTheMarginGivesNoLeaseAtAll()
    {
        var timing = new EtcdLeaseTiming(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        Assert.Equal(5_000, timing.ValidUntilMs(5_000, TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(3.5, 1750)]
    [InlineData(0.5, 250)]
    [InlineData(20, 3000)] // never longer than the etcd client's usual deadline
    public void ARequestMayTakeHalfTheFenceTimeoutAtMostThreeSeconds(double fenceSeconds, int timeoutMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(timeoutMs), EtcdLeaseTiming.RequestTimeout(TimeSpan.FromSeconds(fenceSeconds)));
    }

    [Fact]
    public void TheMembersLeaseIsKeptAliveFourTimesPerTtl()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), EtcdLeaseTiming.For(TimeSpan.FromSeconds(3.5)).KeepAliveInterval);
    }
}
