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
    double LongestProbeRound,
    string? Failure);

/// <summary>
/// One blip round: the primary's address cut off (at least <see cref="CutSeconds"/>: from the drop rule
/// confirmed in place to the start of its removal; at most <see cref="CutCommandsSeconds"/>: from sending the
/// rule to its removal confirmed),
/// then watched for <see cref="WatchSeconds"/>. A failover is any standby taking a write, the primary's
/// postmaster gone, or a monitor in another term or with another primary afterwards.
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
    string TermsAfter);
