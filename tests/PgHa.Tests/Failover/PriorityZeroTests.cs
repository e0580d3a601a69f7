using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>A standby with priority 0 is never promoted, even when it is the only one left: the cluster waits for an operator.</summary>
[Collection(FailoverCollection.Name)]
public sealed class PriorityZeroTests(ITestOutputHelper output) : IAsyncLifetime
{
    private MonitoredCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await MonitoredCluster.StartAsync("prio", new ClusterShape
        {
            Standbys = 1,
            Witness = true,
            Priorities = new Dictionary<string, int> { ["node2"] = 0 },
        });
        await _cluster.StartMonitorsAsync();
    }

    public async Task DisposeAsync()
    {
        output.WriteLine(_cluster.DescribeMonitors());
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task PriorityZeroStandby_IsNeverPromoted()
    {
        await _cluster["node1"].Server.KillAsync();
        string? promoted = await _cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(14));
        Assert.True(promoted is null, $"{promoted} was promoted although its priority is 0.\n{_cluster.DescribeMonitors()}");
        Assert.False((await _cluster.WritableAsync())["node2"]);
        Assert.All(_cluster.MonitorLines(_cluster["node2"].Conninfo).Where(l => l.Split(' ')[1] == "True"), line => Assert.Equal("1", line.Split(' ')[2]));
    }
}
