using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// A cut of the primary shorter than the fence timeout (1.5 s here; 3.5 s by default) changes nothing:
/// no fence, no election, the primary keeps its postmaster and its writes, every monitor stays in term 1.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class BlipTests(ITestOutputHelper output) : MonitoredClusterTest(output, "blip", new ClusterShape { Standbys = 2 })
{
    [Fact]
    public async Task ShortCutOfThePrimary_CausesNoFenceAndNoFailover()
    {
        int postmaster = Cluster["node1"].Server.Pid ?? throw new InvalidOperationException("node1 does not run");
        await using var probe = SplitBrainProbe.Start(Cluster);
        await using (await NetworkCut.CutAsync([Cluster["node1"].Server.Address]))
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // the blip itself: its length is the point of the test
        }
        // Nothing must happen for longer than the detection window (7 s) after the blip: a bounded watch for
        // something that must not come, not a wait for something that will.
        bool failedOver = await Polling.UntilAsync(async () =>
            (await Cluster.WritableAsync()).Any(w => w.Key != "node1" && w.Value == true) || !LinuxProcesses.IsAlive(postmaster),
            TimeSpan.FromSeconds(12));
        SplitBrainReport report = await probe.StopAsync();

        Assert.False(failedOver, "A 1.5 s blip caused a fence or a failover.\n" + Cluster.DescribeMonitors());
        Assert.True(LinuxProcesses.IsAlive(postmaster));
        Assert.True((await Cluster.WritableAsync())["node1"]);
        Assert.Equal(["node1"], report.EverWritable.ToArray());
        var terms = Cluster.Session.Run("Get-PgHaMonitor -Conninfo $args[0] | ForEach-Object { \"$($_.Name) $($_.Term) $($_.Primary)\" }", Cluster["node1"].Conninfo).ThrowIfErrors();
        Assert.All(terms.Output.Select(o => o.ToString()), line => Assert.EndsWith(" 1 node1", line));
        Assert.Equal(3, terms.Output.Count);
        // Each monitor says which consensus decides, and only the primary holds a lease (renewed 4 times a second, 3.5 s long).
        var leases = Cluster.Session.Run("Get-PgHaMonitor -Conninfo $args[0] | ForEach-Object { \"$($_.Name) $($_.Consensus) $($null -ne $_.LeaseSecondsLeft) $($_.LeaseSecondsLeft -gt 0)\" }",
            Cluster["node1"].Conninfo).ThrowIfErrors();
        Assert.Equal(["node1 peer quorum True True", "node2 peer quorum False False", "node3 peer quorum False False"], leases.Output.Select(o => o.ToString()).Order(StringComparer.Ordinal).ToArray());

        // The primary's monitor writes replication lag samples from its first round on (every 10 s by default).
        string? samples = await Cluster["node1"].Server.QueryScalarAsync("SELECT count(DISTINCT standby_node_id) FROM pgha.monitoring_history", "pgha");
        Assert.Equal("2", samples);
    }
}
