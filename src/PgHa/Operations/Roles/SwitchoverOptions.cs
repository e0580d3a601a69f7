namespace PgHa.Operations.Roles;

/// <summary>The limits a switchover runs within.</summary>
internal sealed record SwitchoverOptions(
    bool SiblingsFollow,
    long MaxLagBytes,
    int MaxArchiveReady,
    TimeSpan StopWait,
    TimeSpan CatchUpWait,
    TimeSpan PromoteWait,
    TimeSpan FollowWait);
