namespace PgHa.Operations.Monitor;

/// <summary>
/// The etcd backend's lease arithmetic, pure so that it is unit-tested. The primary may take writes until
/// <see cref="ValidUntilMs"/>: the moment its last answered keepalive was SENT, plus the TTL etcd granted,
/// minus <see cref="Margin"/>.
/// <para>
/// Why the key cannot be taken before that: etcd counts a lease's TTL from when its leader handles the
/// keepalive, which is after the request left this monitor, so etcd cannot delete the key before
/// <c>sent + TTL</c> (a change of etcd leader only renews every lease in full; a request that took long only
/// shortens what the primary keeps). A standby creates the key only when it is absent, so its promotion
/// begins after <c>sent + TTL</c>, while the old primary's lease timer fenced it at <c>sent + TTL - Margin</c>
/// (it looks every 20 ms; standby.signal and SIGQUIT take milliseconds on a local node). The margin covers
/// that and the drift between the two hosts' clocks over one TTL.
/// </para>
/// </summary>
internal sealed record EtcdLeaseTiming(TimeSpan Ttl, TimeSpan Margin)
{
    /// <summary>Between the end of the primary's own lease and the earliest moment etcd may let the key go.</summary>
    public static readonly TimeSpan DefaultMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The TTL asked of etcd for a monitor with <paramref name="fenceTimeout"/>: the fence timeout plus the margin,
    /// rounded up to whole seconds (etcd's TTLs are whole seconds), so that the primary keeps at least a fence
    /// timeout after each keepalive, as it does with the built-in quorum. 3.5 s gives a 4 s TTL.
    /// </summary>
    public static EtcdLeaseTiming For(TimeSpan fenceTimeout)
    {
        double seconds = Math.Ceiling((fenceTimeout + DefaultMargin).TotalSeconds - 1e-9);
        return new EtcdLeaseTiming(TimeSpan.FromSeconds(Math.Max(1, seconds)), DefaultMargin);
    }

    /// <summary>
    /// Until when the primary may take writes after a keepalive sent at <paramref name="sentMs"/> (monotonic
    /// milliseconds, read BEFORE the request) that etcd answered with <paramref name="grantedTtl"/> (which may be
    /// more than asked: etcd raises a TTL below its minimum, 1.5 election timeouts). Never later than the send.
    /// </summary>
    public long ValidUntilMs(long sentMs, TimeSpan grantedTtl)
    {
        long window = (long)(grantedTtl - Margin).TotalMilliseconds;
        return sentMs + Math.Max(0, window);
    }

    /// <summary>
    /// The least time between two keepalives of the leader key (Start-PgHaMonitor -EtcdKeepAliveInterval); zero:
    /// at every renewal the monitor asks for (each primary check). Between them a renewal returns the lease of the
    /// last keepalive, which the primary's lease timer already holds.
    /// </summary>
    public TimeSpan LeaderKeepAliveInterval { get; init; }

    /// <summary>How often a member's lease is kept alive while nothing else renews it: four times per TTL.</summary>
    public TimeSpan KeepAliveInterval => Ttl / 4;

    /// <summary>
    /// How long one etcd request may take, over every member it tries: half the fence timeout, at most 3 s (the
    /// client's usual deadline). A primary whose renewal hangs still has half its lease to try again; an etcd
    /// that lost its quorum answers nothing within that, which is what fences the primary.
    /// </summary>
    public static TimeSpan RequestTimeout(TimeSpan fenceTimeout)
    {
        TimeSpan half = fenceTimeout / 2;
        return half < TimeSpan.FromSeconds(3) ? half : TimeSpan.FromSeconds(3);
    }
}
