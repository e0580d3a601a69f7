namespace PgHa.Operations.Monitor;

/// <summary>
/// The primary's right to take writes, as an expiry on the monotonic clock (<see cref="Core.MonotonicClock"/>: the
/// time since boot, the same in every process of one boot, never moved by a wall-clock change). A majority
/// vouching for the primary in a round that began at <c>t</c> extends it to <c>t + FenceTimeout</c>; a term
/// announcement a majority took does the same. When it runs out the primary fences itself, checked by a timer
/// of its own (<see cref="NodeMonitor"/>), whatever the rest of the monitor is doing.
/// <para>
/// Why that is safe: a member that vouched in the round that began at <c>t</c> had seen the primary at
/// <c>t - SupportFreshness</c> or later, so it cannot vote it out before <c>t - SupportFreshness +
/// DetectionWindow</c>; any majority that could elect shares a member with the majority that vouched. The
/// lease ends at <c>t + FenceTimeout</c>, which <see cref="MonitorSettings.Validate"/> keeps at least the
/// fencing margin before that.
/// </para>
/// </summary>
internal sealed class PrimaryLease
{
    public PrimaryLease(long expiresAtMs) => ExpiresAtMs = expiresAtMs;

    /// <summary>Monotonic milliseconds at which the lease ends.</summary>
    public long ExpiresAtMs { get; private set; }

    /// <summary>Extends the lease; never shortens it.</summary>
    public bool ExtendTo(long untilMs)
    {
        if (untilMs <= ExpiresAtMs)
        {
            return false;
        }
        ExpiresAtMs = untilMs;
        return true;
    }

    public bool HasExpired(long nowMs) => nowMs >= ExpiresAtMs;

    /// <summary>Seconds left (negative: expired that long ago), for logs and status.</summary>
    public double SecondsLeft(long nowMs) => (ExpiresAtMs - nowMs) / 1000.0;
}
