namespace PgHa.Bench.Failover;

/// <summary>
/// One node's running PgHa monitor, however it was started: as the shipped systemd example starts it
/// (<see cref="ShippedMonitor"/>) or as the failover tests start it (<see cref="TestHostMonitor"/>).
/// </summary>
public interface IMonitorAgent : IAsyncDisposable
{
    string NodeName { get; }

    /// <summary>The process that runs Start-PgHaMonitor.</summary>
    int Pid { get; }

    bool HasExited { get; }

    /// <summary>The monitor's log file, then what its process printed: for the round's record.</summary>
    string Describe();
}
