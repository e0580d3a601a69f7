namespace PgHa.Operations.Switchovers;

/// <summary>The limits a switchover runs within; ForceRewind lets the old primary be rewound should it not rejoin directly.</summary>
internal sealed record SwitchoverOptions(
    bool SiblingsFollow,
    bool ForceRewind,
    long MaxLagBytes,
    int MaxArchiveReady,
    TimeSpan StopWait,
    TimeSpan CatchUpWait,
    TimeSpan PromoteWait,
    TimeSpan FollowWait);
