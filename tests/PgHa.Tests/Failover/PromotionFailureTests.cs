using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// The winner of an election whose promotion fails. A fault run left a cluster with no primary this way: node3
/// won its term, its pg_promote session broke, and it stayed a standby that led its term — nothing tried again
/// and nobody else stood. The fault here is a real one: the winner's data directory is made read-only (mode
/// 0500, as a full or read-only file system would), so PostgreSQL refuses to write promote.signal.
/// node2 has the higher priority, so it is the one that wins.
/// </summary>
[Collection(FailoverCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PromotionFailureTests(ITestOutputHelper output) : MonitoredClusterTest(output, "promfail", new ClusterShape
    {
        Standbys = 2,
        Priorities = new Dictionary<string, int> { ["node2"] = 150, ["node3"] = 100 },
    })
{
    [Fact]
    public async Task PromotionFailsOnce_WinnerTriesAgainInItsTerm_AndIsPrimary()
    {
        string dataDirectory = Cluster["node2"].Server.DataDirectory;
        await using var probe = SplitBrainProbe.Start(Cluster);
        File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            await Cluster["node1"].Server.KillAsync();
            bool failedOnce = await Polling.UntilAsync(() => Task.FromResult(LogHas("node2", "(attempt 1 of 3)")), TimeSpan.FromSeconds(45));
            Assert.True(failedOnce, "node2's first promotion attempt did not fail as the fault should make it.\n" + Cluster.DescribeMonitors());
        }
        finally
        {
            File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        bool promoted = await Polling.UntilAsync(async () => (await Cluster.WritableAsync())["node2"] == true, TimeSpan.FromSeconds(30));
        Assert.True(promoted, "node2 did not become the primary once its data directory was writable again.\n" + Cluster.DescribeMonitors());
        bool followed = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node3") == "node2", TimeSpan.FromSeconds(30));
        Assert.True(followed, "node3 does not stream from node2.\n" + Cluster.DescribeMonitors());
        // The record follows the announcement the follow answered: wait for it rather than read the log at once.
        bool recorded = await Polling.UntilAsync(() => Task.FromResult(LogHas("node2", "Recorded node2 as the primary of term")), TimeSpan.FromSeconds(30));
        Assert.True(recorded, "node2 did not record its promotion.\n" + Cluster.DescribeMonitors());
        Assert.False(LogHas("node2", "gives the term up"), "node2 gave its term up although its second attempt should succeed.\n" + Cluster.DescribeMonitors());

        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
    }

    [Fact]
    public async Task PromotionKeepsFailing_WinnerStandsAside_NextStandbyIsPrimary()
    {
        string dataDirectory = Cluster["node2"].Server.DataDirectory;
        await using var probe = SplitBrainProbe.Start(Cluster);
        File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            await Cluster["node1"].Server.KillAsync();
            bool node3Promoted = await Polling.UntilAsync(async () => (await Cluster.WritableAsync())["node3"] == true, TimeSpan.FromSeconds(60));
            Assert.True(node3Promoted, "node3 was not promoted after node2 gave its term up.\n" + Cluster.DescribeMonitors());
            Assert.True(LogHas("node2", "gives the term up and stands aside"), "node2 did not give its term up.\n" + Cluster.DescribeMonitors());
            Assert.True((await Cluster.WritableAsync())["node2"] == false, "node2 is not a standby.\n" + Cluster.DescribeMonitors());
        }
        finally
        {
            File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Writable again, node2 follows the new primary (ALTER SYSTEM needs its data directory), and node1 rejoins it.
        bool followed = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node2") == "node3", TimeSpan.FromSeconds(60));
        Assert.True(followed, "node2 does not stream from node3.\n" + Cluster.DescribeMonitors());
        bool rejoined = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node1") == "node3", TimeSpan.FromSeconds(60));
        Assert.True(rejoined, "node1 did not rejoin node3.\n" + Cluster.DescribeMonitors());

        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
        Assert.Equal(["node3"], report.EverWritable.Where(n => n != "node1").ToArray());
    }

    private bool LogHas(string node, string text)
    {
        string file = Cluster.MonitorOf(node).LogFile;
        return File.Exists(file) && File.ReadAllText(file).Contains(text, StringComparison.Ordinal);
    }
}
