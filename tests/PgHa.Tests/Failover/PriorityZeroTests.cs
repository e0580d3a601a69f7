using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>A standby with priority 0 is never promoted, even when it is the only one left: the cluster waits for an operator.</summary>
[Collection(FailoverCollection.Name)]
public sealed class PriorityZeroTests(ITestOutputHelper output) : MonitoredClusterTest(output, "prio", new ClusterShape
    {
        Standbys = 1,
        Witness = true,
        Priorities = new Dictionary<string, int> { ["node2"] = 0 },
    })
{
    [Fact]
    public async Task PriorityZeroStandby_IsNeverPromoted()
    {
        await Cluster["node1"].Server.KillAsync();
        string? promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(14));
        Assert.True(promoted is null, $"{promoted} was promoted although its priority is 0.\n{Cluster.DescribeMonitors()}");
        Assert.False((await Cluster.WritableAsync())["node2"]);
        Assert.All(Cluster.MonitorLines(Cluster["node2"].Conninfo).Where(l => l.Split(' ')[1] == "True"), line => Assert.Equal("1", line.Split(' ')[2]));
    }
}
