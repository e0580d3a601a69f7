using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// A planned switchover while the monitors run: Invoke-PgHaSwitchover pauses them for the handover (the old
/// primary's stop must not look like a failure), the new primary starts a new term, and afterwards every
/// monitor follows it, unpaused, without fencing it or electing anyone.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class SwitchoverWithMonitorsTests(ITestOutputHelper output) : MonitoredClusterTest(output, "swmon", new ClusterShape { Standbys = 2 })
{
    [Fact]
    public async Task SwitchoverUnderRunningMonitors_NewTermFollowedByEveryMonitor_NoFenceNoElection()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        Cluster.Session.Run("Invoke-PgHaSwitchover -Conninfo $args[0] -Name node2 -Confirm:$false", Cluster["node1"].Conninfo).ThrowIfErrors();

        string agreement = string.Empty;
        bool agreed = await Polling.UntilAsync(() =>
        {
            var lines = Cluster.MonitorLines(Cluster["node2"].Conninfo);
            agreement = string.Join("; ", lines);
            return lines.Count == 3 && lines.All(l => l.Split(' ') is [_, "True", var term, "node2", "False"] && long.Parse(term) >= 2);
        }, TimeSpan.FromSeconds(30));
        Assert.True(agreed, $"The monitors do not all follow node2, unpaused: {agreement}\n{Cluster.DescribeMonitors()}");

        // Longer than the fence timeout and the detection window: node2 stays the one primary.
        bool changed = await Polling.UntilAsync(async () => (await Cluster.WritableAsync()).Any(w => w.Key != "node2" && w.Value != false) || (await Cluster.WritableAsync())["node2"] != true,
            TimeSpan.FromSeconds(10));
        SplitBrainReport report = await probe.StopAsync();
        Assert.False(changed, "After the switchover node2 stopped being the only primary.\n" + Cluster.DescribeMonitors());
        Assert.True(report.MaxWritableAtOnce <= 1, report.ToString());
        Assert.Equal("node2", await Cluster.StreamsFromAsync("node1"));
        var failovers = Cluster.Session.Run("Get-PgHaEvent -Conninfo $args[0] -Event failover_*, primary_fenced", Cluster["node2"].Conninfo).ThrowIfErrors();
        Assert.Empty(failovers.Output);
    }
}
