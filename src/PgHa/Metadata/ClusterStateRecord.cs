namespace PgHa.Metadata;

/// <summary>The row of pgha.cluster_state: the election term and its primary, and whether the monitors are paused.</summary>
internal sealed record ClusterStateRecord(
    long Term,
    int? TermPrimaryId,
    DateTimeOffset TermStartedAt,
    bool Paused,
    DateTimeOffset? PausedAt,
    string? PausedBy,
    string? SynchronousSetAside,
    DateTimeOffset? SynchronousDegradedAt);
