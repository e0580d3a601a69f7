namespace PgHa.Bench.Failover;

/// <summary>A PgHa monitor's view of the cluster, from Get-PgHaMonitor.</summary>
public sealed record MonitorView(string Name, bool Running, bool HasChecked, long? Term, string? Primary, DateTimeOffset? PrimaryLastSeen)
{
    public override string ToString() => $"{Name}: term {Term?.ToString() ?? "?"}, primary {Primary ?? "?"}{(Running ? string.Empty : " (not running)")}";
}
