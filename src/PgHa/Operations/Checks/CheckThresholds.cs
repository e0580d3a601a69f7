namespace PgHa.Operations.Checks;

/// <summary>
/// Where a measured value turns a check Warning and Critical (strictly above, as repmgr compares). The
/// defaults are repmgr's where repmgr has the check (replication_lag_*, archive_ready_*).
/// </summary>
internal sealed record CheckThresholds
{
    public double LagWarningSeconds { get; init; } = 300;
    public double LagCriticalSeconds { get; init; } = 600;

    /// <summary>64 MB: four WAL segments behind is more than a busy moment on a healthy standby.</summary>
    public long LagWarningBytes { get; init; } = 64L << 20;
    public long LagCriticalBytes { get; init; } = 1L << 30;

    public int ArchiveReadyWarning { get; init; } = 16;
    public int ArchiveReadyCritical { get; init; } = 128;

    public long SlotWalWarningBytes { get; init; } = 1L << 30;
    public long SlotWalCriticalBytes { get; init; } = 8L << 30;

    public double ClockSkewWarningSeconds { get; init; } = 1;
    public double ClockSkewCriticalSeconds { get; init; } = 10;

    /// <summary>How long each monitor has to answer its status request.</summary>
    public TimeSpan MonitorTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The first pair whose warning is above its critical, as "name warning critical"; null when all are in order.</summary>
    public string? FirstInverted()
    {
        if (LagWarningSeconds > LagCriticalSeconds) { return $"-LagWarning {LagWarningSeconds} is above -LagCritical {LagCriticalSeconds}"; }
        if (LagWarningBytes > LagCriticalBytes) { return $"-LagWarningBytes {LagWarningBytes} is above -LagCriticalBytes {LagCriticalBytes}"; }
        if (ArchiveReadyWarning > ArchiveReadyCritical) { return $"-ArchiveReadyWarning {ArchiveReadyWarning} is above -ArchiveReadyCritical {ArchiveReadyCritical}"; }
        if (SlotWalWarningBytes > SlotWalCriticalBytes) { return $"-SlotWalWarningBytes {SlotWalWarningBytes} is above -SlotWalCriticalBytes {SlotWalCriticalBytes}"; }
        if (ClockSkewWarningSeconds > ClockSkewCriticalSeconds) { return $"-ClockSkewWarning {ClockSkewWarningSeconds} is above -ClockSkewCritical {ClockSkewCriticalSeconds}"; }
        return null;
    }
}
