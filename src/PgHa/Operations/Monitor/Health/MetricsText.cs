using System.Globalization;
using System.Text;

namespace PgHa.Operations.Monitor.Health;

/// <summary>
/// /metrics in the Prometheus text exposition format (version 0.0.4): one family per line group with HELP
/// and TYPE, every sample labelled with the node, values from the snapshot only. Values that are unknown
/// (a standby's lag while its server is down) are left out rather than written as 0.
/// </summary>
internal static class MetricsText
{

    public static string Render(MonitorSnapshot s, long nowMs)
    {
        var text = new StringBuilder();
        string node = $"node=\"{Escape(s.NodeName)}\"";
        string version = typeof(MetricsText).Assembly.GetName().Version?.ToString(3) ?? "";

        Family(text, "pgha_info", "gauge", "The monitor's node and PgHa version (always 1).");
        Sample(text, "pgha_info", $"{node},node_id=\"{s.NodeId}\",version=\"{Escape(version)}\"", 1);

        Family(text, "pgha_role", "gauge", "1 for the role this node has now (as its monitor saw it), 0 for the others.");
        foreach (MonitorRole role in MonitorRoles.All)
        {
            Sample(text, "pgha_role", $"{node},role=\"{role.Name()}\"", s.Role == role ? 1 : 0);
        }
        Gauge(text, node, "pgha_primary", "1 when /primary answers 200: the writable primary of the current term, not fenced, holding its lease.",
            HealthAnswers.IsPrimary(s, nowMs).Ok ? 1 : 0);
        Gauge(text, node, "pgha_replica", "1 when /replica (without a lag limit) answers 200: a standby streaming from its upstream.",
            HealthAnswers.IsReplica(s, null).Ok ? 1 : 0);
        Gauge(text, node, "pgha_server_running", "1 while the node's PostgreSQL server runs.", s.ServerRunning ? 1 : 0);
        Gauge(text, node, "pgha_fenced", "1 while the monitor keeps the node fenced (standby.signal, stopped or read-only).", s.Fenced ? 1 : 0);
        Gauge(text, node, "pgha_paused", "1 while monitoring is paused (no failover, no fencing).", s.Paused ? 1 : 0);
        Gauge(text, node, "pgha_term", "The election term this monitor is in.", s.Term);
        if (s.Timeline is { } timeline)
        {
            Gauge(text, node, "pgha_timeline", "The node's timeline: a primary's current one, a standby's received one.", timeline);
        }
        if (s.LeaseExpiresMs is { } until && until != long.MaxValue)
        {
            Gauge(text, node, "pgha_lease_remaining_seconds", "Seconds this primary may still take writes without a majority vouching for it again.",
                Math.Max(0, until - nowMs) / 1000.0);
        }
        if (s.LagBytes is { } lagBytes)
        {
            Gauge(text, node, "pgha_replication_lag_bytes", "WAL bytes the standby has not replayed yet, of what its sender last reported.", lagBytes);
        }
        if (s.LagSeconds is { } lagSeconds)
        {
            Gauge(text, node, "pgha_replication_lag_seconds", "Seconds since the last replayed transaction while replay is behind what was received; 0 when caught up.", lagSeconds);
        }
        if (s.LastCheckAt is { } lastCheck)
        {
            Gauge(text, node, "pgha_last_check_timestamp_seconds", "Unix time of the monitor's last successful check of its own server.", lastCheck.ToUnixTimeMilliseconds() / 1000.0);
        }
        Gauge(text, node, "pgha_monitor_loop_duration_seconds", "How long the monitor's last round took.", s.LoopSeconds);
        Gauge(text, node, "pgha_snapshot_age_seconds", "Age of the snapshot these values come from.", s.AgeSeconds(nowMs));
        if (s.Failovers is { } failovers)
        {
            Counter(text, node, "pgha_failovers_total", "Successful automatic failovers (failover_promote events) in the cluster's event log.", failovers);
        }
        if (s.Switchovers is { } switchovers)
        {
            Counter(text, node, "pgha_switchovers_total", "Successful switchovers (standby_switchover events) in the cluster's event log.", switchovers);
        }
        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string labels, string name, string help, double value)
    {
        Family(text, name, "gauge", help);
        Sample(text, name, labels, value);
    }

    private static void Counter(StringBuilder text, string labels, string name, string help, double value)
    {
        Family(text, name, "counter", help);
        Sample(text, name, labels, value);
    }

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string labels, double value) =>
        text.Append(name).Append('{').Append(labels).Append("} ").Append(Format(value)).Append('\n');

    public static string Format(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Label values escape backslash, double quote and line feed (the format's only escapes).</summary>
    public static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
