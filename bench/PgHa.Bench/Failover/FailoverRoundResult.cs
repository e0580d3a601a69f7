namespace PgHa.Bench.Failover;

/// <summary>
/// One kill -9 round. Times in seconds: kill of the primary's postmaster to the first write acknowledged by
/// another node, and from that write (the promotion as a client sees it) to the remaining standby's first
/// sighting streaming from the new primary. <see cref="Failure"/> says what did not happen in time.
/// </summary>
public sealed record FailoverRoundResult(
    string Variant,
    int Round,
    string KilledAtUtc,
    string OldPrimary,
    string? NewPrimary,
    double? KillToFirstWrite,
    double? PromotionToFollow,
    int MaxWritableAtOnce,
    string MaxWritableDetail,
    double LongestProbeRound,
    string? Failure);

/// <summary>
/// One blip round: the primary's address cut off for <see cref="CutSeconds"/>, then watched for
/// <see cref="WatchSeconds"/>. A failover is any standby taking a write, the primary's postmaster gone, or a
/// monitor in another term or with another primary afterwards.
/// </summary>
public sealed record BlipRoundResult(
    int Round,
    string CutAtUtc,
    double CutSeconds,
    double WatchSeconds,
    bool FailedOver,
    string Evidence,
    double PrimaryLongestWriteGap,
    int MaxWritableAtOnce,
    string TermsBefore,
    string TermsAfter);
