using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// kill -9 of the primary's postmaster under running monitors (one process each): exactly one standby is
/// promoted — with equal WAL (nothing is written), the one with the higher priority — the other follows
/// it, no probe ever finds two writable primaries, and the old primary's monitor fences it and brings it
/// back as a standby of the new one.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class KillPrimaryTests(ITestOutputHelper output) : MonitoredClusterTest(output, "kill", new ClusterShape
    {
        Standbys = 2,
        Priorities = new Dictionary<string, int> { ["node2"] = 100, ["node3"] = 150 },
    })
{
    // Every monitor runs the event hook for the events it records: the new primary's records failover_promote.
    protected override IReadOnlyDictionary<string, string>? MonitorSettings => new Dictionary<string, string> { ["EventCommand"] = $"echo %n %e %s >> {HookLog}" };

    private string HookLog => Path.Combine(Cluster.Directory, "hook.log");

    [Fact]
    public async Task KilledPrimary_HigherPriorityStandbyPromoted_OtherFollows_OldPrimaryRejoins_NeverTwoWritable()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        await Cluster["node1"].Server.KillAsync();

        bool promoted = await Polling.UntilAsync(async () => (await Cluster.WritableAsync())["node3"] == true, TimeSpan.FromSeconds(30));
        Assert.True(promoted, "node3 (priority 150) was not promoted within 30 s.\n" + Cluster.DescribeMonitors());
        bool follows = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node2") == "node3", TimeSpan.FromSeconds(30));
        Assert.True(follows, "node2 did not stream from node3 within 30 s.\n" + Cluster.DescribeMonitors());
        bool rejoined = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node1") == "node3", TimeSpan.FromSeconds(60));
        Assert.True(rejoined, "The old primary node1 did not rejoin as a standby of node3 within 60 s.\n" + Cluster.DescribeMonitors());

        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
        Assert.Equal(["node3"], report.EverWritable.Where(n => n != "node1").ToArray());
        Assert.False((await Cluster.WritableAsync())["node2"]);

        var events = Cluster.Session.Run("Get-PgHaEvent -Conninfo $args[0] -Event failover_* | ForEach-Object { \"$($_.NodeName) $($_.Event) $($_.Successful)\" }",
            Cluster["node3"].Conninfo).ThrowIfErrors();
        var lines = events.Output.Select(o => o.ToString()).ToList();
        string context = string.Join("\n", lines) + "\n" + Cluster.DescribeMonitors();
        Assert.True(lines.Contains("node3 failover_promote True"), context);
        Assert.True(lines.Contains("node2 failover_follow True"), context);

        bool hooked = await Polling.UntilAsync(() => File.Exists(HookLog) && File.ReadAllLines(HookLog).Contains("3 failover_promote 1"), TimeSpan.FromSeconds(15));
        Assert.True(hooked, $"The event hook did not run for failover_promote: {(File.Exists(HookLog) ? File.ReadAllText(HookLog) : "no hook.log")}");

        // Every monitor ends up agreeing on one term (2, or more when an election had to be run again) and on its primary.
        string agreement = string.Empty;
        bool agreed = await Polling.UntilAsync(() =>
        {
            var monitors = Cluster.Session.Run("Get-PgHaMonitor -Conninfo $args[0] | ForEach-Object { \"$($_.Name) $($_.Running) $($_.Term) $($_.Primary)\" }", Cluster["node3"].Conninfo);
            var rows = monitors.Output.Select(o => o.ToString()!).ToList();
            agreement = string.Join("; ", rows);
            var terms = rows.Select(r => r.Split(' ')).ToList();
            return rows.Count == 3 && terms.All(t => t[1] == "True" && t[2] == terms[0][2] && long.Parse(t[2]) >= 2 && t[3] == "node3");
        }, TimeSpan.FromSeconds(15));
        Assert.True(agreed, $"The monitors do not agree on the term and primary: {agreement}\n{Cluster.DescribeMonitors()}");
    }
}
