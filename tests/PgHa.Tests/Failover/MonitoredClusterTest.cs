using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// What every failover test class shares: a <see cref="MonitoredCluster"/> of the given shape with its
/// monitors running, built before the test and torn down after it, with every monitor's log written to the
/// test output (visible with a detailed console logger, and in the failure messages the tests build).
/// </summary>
public abstract class MonitoredClusterTest(ITestOutputHelper output, string prefix, ClusterShape shape) : IAsyncLifetime
{
    protected MonitoredCluster Cluster { get; private set; } = null!;

    /// <summary>Start-PgHaMonitor parameters every monitor of this test gets (name, value).</summary>
    protected virtual IReadOnlyDictionary<string, string>? MonitorSettings => null;

    /// <summary>Work on the servers before the monitors start.</summary>
    protected virtual Task PrepareAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Cluster = await MonitoredCluster.StartAsync(prefix, shape);
        try
        {
            await PrepareAsync();
            await Cluster.StartMonitorsAsync(MonitorSettings);
        }
        catch
        {
            // xunit does not call DisposeAsync when InitializeAsync fails: the monitors and servers started so far
            // would outlive the test run (found: monitor processes of failed starts still running 1.5 h later,
            // talking to loopback addresses that later tests were handed again).
            await Cluster.DisposeAsync();
            Cluster = null!; // and DisposeAsync, should it be called after all, has nothing left to stop
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            output.WriteLine(Cluster.DescribeMonitors());
            await Cluster.DisposeAsync();
        }
    }
}
