namespace PgHa.Bench.Failover;

/// <summary>
/// One kill -9 round. Times in seconds: kill of the primary's postmaster to the first write acknowledged by
/// another node, and from that write (the promotion as a client sees it) to the remaining standby's first
/// sighting streaming from the new primary; then the longest stretch without a write on the new primary
/// from its first write to the end of the round (it must stay the primary). <see cref="Failure"/> says what
/// did not happen in time.
/// </summary>
public sealed record FailoverRoundResult(
    string Variant,
    int Round,
    string KilledAtUtc,
    string OldPrimary,
    string? NewPrimary,
    double? KillToFirstWrite,
    double? PromotionToFollow,
    double? NewPrimaryLongestGap,
    int MaxWritableAtOnce,
    string MaxWritableDetail,
    double MedianProbeRound,
    double LongestProbeRound,
    string? Failure)
{
    /// <summary>The machine's 1-minute load average as the round began (it is shared with other work).</summary>
    public string Load { get; init; } = "";

    /// <summary>With etcd deciding: the fault to the first answer of etcd without the leader key (polled every 20 ms).</summary>
    public double? KeyGoneAfter { get; init; }
}
