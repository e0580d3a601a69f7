using PgHa.Tests.Failover;

namespace PgHa.Bench.Failover;

/// <summary>
/// A monitor started as the failover tests start it (<see cref="MonitorProcess"/>: tools/PgHa.Run as root,
/// -LocalConninfo through the node's Unix socket). The proxy-outage benchmark runs these; the failover
/// benchmark runs <see cref="ShippedMonitor"/>.
/// </summary>
public sealed class TestHostMonitor(MonitorProcess process) : IMonitorAgent
{
    public string NodeName => process.NodeName;

    public int Pid => process.Pid;

    public bool HasExited => process.HasExited;

    public string Describe() => process.Describe();

    public ValueTask DisposeAsync() => process.DisposeAsync();
}
