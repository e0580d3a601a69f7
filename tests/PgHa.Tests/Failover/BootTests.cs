using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// A primary whose monitor died before it could fence (no standby.signal), then its server: the others fail
/// over. Its host "reboots": the monitor comes back first, as the systemd example runs it with -ManageServer,
/// started with the dead node's own conninfo (the demo's way). It must find the cluster through the members it
/// knew, never start the server writable, and bring it back as a standby of the new primary.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class BootTests(ITestOutputHelper output) : MonitoredClusterTest(output, "boot", new ClusterShape
    {
        Standbys = 2,
        Priorities = new Dictionary<string, int> { ["node2"] = 150, ["node3"] = 100 },
    })
{
    [Fact]
    public async Task PrimaryWhoseMonitorDiedBeforeFencing_BootsUnderItsMonitor_NeverWritable_Rejoins()
    {
        await Cluster.MonitorOf("node1").KillAsync();
        await Cluster["node1"].Server.KillAsync();
        Assert.False(File.Exists(Path.Combine(Cluster["node1"].Server.DataDirectory, "standby.signal")), "node1 was fenced, but its monitor was dead: the test premise failed.");

        string? promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(45));
        Assert.True(promoted is not null, "No standby was promoted within 45 s.\n" + Cluster.DescribeMonitors());

        await using var probe = SplitBrainProbe.Start(Cluster);
        Cluster.RestartMonitor("node1", new Dictionary<string, string> { ["ManageServer"] = "true" });

        bool rejoined = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node1") == promoted, TimeSpan.FromSeconds(90));
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(rejoined, $"node1 did not come back as a standby of {promoted} within 90 s.\n" + Cluster.DescribeMonitors());
        Assert.DoesNotContain("node1", report.EverWritable);
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
    }
}
