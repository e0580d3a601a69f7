using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// The primary cut off from the others (nftables drops everything sent to its address): it fences itself
/// before the majority side promotes one standby, so no instant has two primaries that could take writes;
/// once the cut is healed, the old primary comes back as a standby of the new one without taking a write.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class PartitionTests(ITestOutputHelper output) : MonitoredClusterTest(output, "cut", new ClusterShape { Standbys = 2 })
{
    [Fact]
    public async Task IsolatedPrimary_FencesItselfBeforeTheMajorityPromotes_AndRejoinsAfterTheHeal()
    {
        int oldPostmaster = Cluster["node1"].Server.Pid ?? throw new InvalidOperationException("node1 does not run");
        await using var probe = SplitBrainProbe.Start(Cluster);
        string? promoted = null;
        await using (await NetworkCut.CutAsync([Cluster["node1"].Server.Address]))
        {
            bool failedOver = await Polling.UntilAsync(async () =>
            {
                var writable = await Cluster.WritableAsync();
                promoted = writable.Where(w => w.Key != "node1" && w.Value == true).Select(w => w.Key).FirstOrDefault();
                return promoted is not null;
            }, TimeSpan.FromSeconds(40));
            Assert.True(failedOver, "No standby was promoted within 40 s of the cut.\n" + Cluster.DescribeMonitors());
            Assert.False(LinuxProcesses.IsAlive(oldPostmaster), "node1's postmaster still runs after the majority promoted a standby.\n" + Cluster.DescribeMonitors());
        }

        bool rejoined = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node1") == promoted, TimeSpan.FromSeconds(60));
        Assert.True(rejoined, $"node1 did not rejoin {promoted} within 60 s of the heal.\n" + Cluster.DescribeMonitors());
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two primaries could take writes at once: {report}\n{Cluster.DescribeMonitors()}");
        Assert.False((await Cluster.WritableAsync())["node1"], "node1 takes writes after the heal.");

        string events = string.Empty;
        bool recorded = await Polling.UntilAsync(() =>
        {
            var found = Cluster.Session.Run("Get-PgHaEvent -Conninfo $args[0] -Event primary_fenced, failover_promote | ForEach-Object { \"$($_.NodeName) $($_.Event)\" }",
                Cluster[promoted!].Conninfo);
            var lines = found.Output.Select(o => o.ToString()).ToList();
            events = string.Join("\n", lines);
            return lines.Contains("node1 primary_fenced") && lines.Contains($"{promoted} failover_promote");
        }, TimeSpan.FromSeconds(15));
        Assert.True(recorded, events + "\n" + Cluster.DescribeMonitors());
    }
}
