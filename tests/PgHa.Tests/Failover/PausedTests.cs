using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// Suspend-PgHaMonitor: every monitor reports the pause, a killed primary is not replaced while it lasts,
/// and the cluster view says so; Resume-PgHaMonitor lets the failover happen.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class PausedTests(ITestOutputHelper output) : IAsyncLifetime
{
    private MonitoredCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await MonitoredCluster.StartAsync("pause", new ClusterShape { Standbys = 2 });
        await _cluster.StartMonitorsAsync();
    }

    public async Task DisposeAsync()
    {
        output.WriteLine(_cluster.DescribeMonitors());
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task PausedCluster_DoesNotFailOver_UntilResumed()
    {
        var suspended = _cluster.Session.Run("Suspend-PgHaMonitor -Conninfo $args[0] -Confirm:$false", _cluster["node1"].Conninfo).ThrowIfErrors();
        Assert.Equal(3, suspended.Output.Count);
        Assert.All(suspended.Output, m => Assert.True((bool)m.Properties["Paused"].Value));
        var view = _cluster.Session.Run("(Get-PgHaCluster -Conninfo $args[0]).Warnings", _cluster["node1"].Conninfo).ThrowIfErrors();
        Assert.Contains(view.Output, w => w.ToString()!.StartsWith("Monitoring is paused", StringComparison.Ordinal));

        await _cluster["node1"].Server.KillAsync();
        // Longer than the detection window: nothing may be promoted while paused (a bounded watch for what must not come).
        string? early = await _cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(12));
        Assert.True(early is null, $"{early} was promoted while monitoring was paused.\n{_cluster.DescribeMonitors()}");

        _cluster.Session.Run("Resume-PgHaMonitor -Conninfo $args -Confirm:$false", _cluster["node2"].Conninfo, _cluster["node3"].Conninfo);
        string? promoted = await _cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        Assert.True(promoted is not null, "No failover after Resume-PgHaMonitor.\n" + _cluster.DescribeMonitors());
    }
}
