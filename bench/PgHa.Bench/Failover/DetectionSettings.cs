using System.Globalization;

namespace PgHa.Bench.Failover;

/// <summary>
/// The detection settings given alike to PgHa (Start-PgHaMonitor -MonitorInterval -ReconnectAttempts
/// -ReconnectInterval) and repmgrd (monitor_interval_secs, reconnect_attempts, reconnect_interval), plus PgHa's
/// -FenceTimeout, which repmgrd has no counterpart for. repmgr takes whole seconds only.
/// </summary>
public sealed record DetectionSettings(int MonitorIntervalSeconds, int ReconnectAttempts, int ReconnectIntervalSeconds, double FenceTimeoutSeconds)
{
    /// <summary>Start-PgHaMonitor parameters by name, as MonitorProcess passes them.</summary>
    public IReadOnlyDictionary<string, string> MonitorParameters => new Dictionary<string, string>
    {
        ["MonitorInterval"] = MonitorIntervalSeconds.ToString(CultureInfo.InvariantCulture),
        ["ReconnectAttempts"] = ReconnectAttempts.ToString(CultureInfo.InvariantCulture),
        ["ReconnectInterval"] = ReconnectIntervalSeconds.ToString(CultureInfo.InvariantCulture),
        ["FenceTimeout"] = FenceTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>For the variants' labels: "monitor 1 s, 4 x 1 s".</summary>
    public string Detection => $"monitor {MonitorIntervalSeconds} s, {ReconnectAttempts} x {ReconnectIntervalSeconds} s";

    public string FenceTimeout => FenceTimeoutSeconds.ToString("0.##", CultureInfo.InvariantCulture) + " s";
}
