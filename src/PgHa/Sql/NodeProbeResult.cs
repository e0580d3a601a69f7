namespace PgHa.Sql;

/// <summary>What one round trip to a node tells about its replication state.</summary>
internal sealed record NodeProbeResult
{
    public bool InRecovery { get; init; }
    public string ServerVersion { get; init; } = string.Empty;
    public int ServerVersionNumber { get; init; }
    public string SystemIdentifier { get; init; } = string.Empty;
    public int? Timeline { get; init; }
    public PgHaLsn? CurrentLsn { get; init; }
    public PgHaLsn? ReceiveLsn { get; init; }
    public PgHaLsn? ReplayLsn { get; init; }
    public double? ReplayLagSeconds { get; init; }

    /// <summary>pg_stat_wal_receiver.status ('streaming', 'catchup', ...) or null when no receiver runs.</summary>
    public string? ReceiverStatus { get; init; }
    public string? SenderHost { get; init; }
    public int? SenderPort { get; init; }

    /// <summary>pg_stat_wal_receiver.latest_end_lsn: the end of WAL its sender last reported, so a standby knows its lag without asking the primary.</summary>
    public PgHaLsn? SenderEndLsn { get; init; }

    /// <summary>A standby's WAL position: the later of what it received and what it replayed (0/0 when neither is known).</summary>
    public PgHaLsn StandbyPosition =>
        ReceiveLsn is { } received && (ReplayLsn is not { } replayed || received >= replayed) ? received : ReplayLsn ?? default;
}
