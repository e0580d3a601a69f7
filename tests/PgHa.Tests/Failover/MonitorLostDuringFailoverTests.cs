using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// The fault run that left a cluster with no primary: kill -9 of the primary's postmaster and of the monitor of
/// the standby that would win. The other standby wins with its own vote and the
/// failed primary's monitor's. Its majority must still count the failed primary's monitor, which vouches for
/// it: it used to fence itself 3.7 s after its promotion because only the active nodes counted.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class MonitorLostDuringFailoverTests(ITestOutputHelper output) : MonitoredClusterTest(output, "lostmon", new ClusterShape
    {
        Standbys = 2,
        Priorities = new Dictionary<string, int> { ["node2"] = 100, ["node3"] = 150 },
    })
{
    [Fact]
    public async Task WinnersMonitorKilled_OtherStandbyPromoted_StaysPrimary_OldPrimaryRejoins()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        // The fault run killed the would-be winner's monitor 1 s after the primary's postmaster; here it goes first,
        // so that it is dead before any election however fast the machine is (the failed primary's monitor confirms
        // its server down after 1 s, and node3 would win the very next round).
        await Cluster.MonitorOf("node3").KillAsync();
        await Cluster["node1"].Server.KillAsync();

        bool promoted = await Polling.UntilAsync(async () => (await Cluster.WritableAsync())["node2"] == true, TimeSpan.FromSeconds(45));
        Assert.True(promoted, "node2 was not promoted within 45 s.\n" + Cluster.DescribeMonitors());
        bool rejoined = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node1") == "node2", TimeSpan.FromSeconds(60));
        Assert.True(rejoined, "node1 did not rejoin node2 within 60 s.\n" + Cluster.DescribeMonitors());

        // Well past the fence timeout (3.5 s) after the promotion: node2 is still the primary.
        Assert.True((await Cluster.WritableAsync())["node2"] == true, "node2 fenced itself after its promotion.\n" + Cluster.DescribeMonitors());
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
        Assert.Equal(["node2"], report.EverWritable.Where(n => n != "node1").ToArray());
        Assert.DoesNotContain("fenced itself", File.ReadAllText(Cluster.MonitorOf("node2").LogFile));
    }
}
