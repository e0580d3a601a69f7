namespace PgHa.Bench.Failover;

/// <summary>
/// One blip round: the primary's address cut off (at least <see cref="CutSeconds"/>: from the drop rule
/// confirmed in place to the start of its removal; at most <see cref="CutCommandsSeconds"/>: from sending the
/// rule to its removal confirmed), then watched for <see cref="WatchSeconds"/>. A failover is any standby
/// taking a write, the primary's postmaster gone, or a monitor in another term or with another primary afterwards.
/// </summary>
public sealed record BlipRoundResult(
    int Round,
    string CutAtUtc,
    double CutSeconds,
    double CutCommandsSeconds,
    double WatchSeconds,
    bool FailedOver,
    string Evidence,
    double PrimaryLongestWriteGap,
    int MaxWritableAtOnce,
    string TermsBefore,
    string TermsAfter)
{
    /// <summary>The machine's 1-minute load average as the round began (it is shared with other work).</summary>
    public string Load { get; init; } = "";

    /// <summary>e (as shipped) or x (with the bench-only -LocalConninfo).</summary>
    public string Variant { get; init; } = "e";
}
