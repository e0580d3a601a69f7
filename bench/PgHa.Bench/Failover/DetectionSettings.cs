using System.Globalization;

namespace PgHa.Bench.Failover;

/// <summary>
/// repmgrd's detection settings (monitor_interval_secs, reconnect_attempts, reconnect_interval; whole seconds). By
/// default PgHa's own defaults (Start-PgHaMonitor: -MonitorInterval 1, -ReconnectAttempts 7, -ReconnectInterval 1),
/// the settings the two have in common, so that both detect a lost primary within the same window.
/// </summary>
public sealed record DetectionSettings(int MonitorIntervalSeconds, int ReconnectAttempts, int ReconnectIntervalSeconds)
{
    public static DetectionSettings PgHaDefaults { get; } = new(1, 7, 1);

    /// <summary>For the variants' labels: "monitor 1 s, 7 x 1 s".</summary>
    public string Detection => string.Create(CultureInfo.InvariantCulture, $"monitor {MonitorIntervalSeconds} s, {ReconnectAttempts} x {ReconnectIntervalSeconds} s");
}
