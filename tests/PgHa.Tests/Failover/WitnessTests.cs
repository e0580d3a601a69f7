using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// Two data nodes and a witness. A standby cut off from both others is the minority: it never promotes,
/// and the primary, still seen by the witness, keeps taking writes. When the primary is lost for good
/// (its server and its monitor killed, so nobody can confirm anything), the witness's vote decides:
/// the standby is promoted after the detection window.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class WitnessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private MonitoredCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await MonitoredCluster.StartAsync("wit", new ClusterShape { Standbys = 1, Witness = true });
        await _cluster.StartMonitorsAsync();
    }

    public async Task DisposeAsync()
    {
        output.WriteLine(_cluster.DescribeMonitors());
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task MinorityStandbyNeverPromotes_ThenTheWitnessDecidesWhenThePrimaryIsGone()
    {
        int primaryPostmaster = _cluster["node1"].Server.Pid ?? throw new InvalidOperationException("node1 does not run");
        await using (await NetworkCut.CutAsync([_cluster["node2"].Server.Address]))
        {
            // Well past the detection window: the cut-off standby must not promote, the primary must not fence.
            bool promoted = await Polling.UntilAsync(async () => (await _cluster.WritableAsync())["node2"] == true || !LinuxProcesses.IsAlive(primaryPostmaster),
                TimeSpan.FromSeconds(14));
            Assert.False(promoted, "The cut-off standby promoted, or the primary fenced itself although the witness saw it.\n" + _cluster.DescribeMonitors());
            Assert.True((await _cluster.WritableAsync())["node1"]);
        }
        bool streamsAgain = await Polling.UntilAsync(async () => await _cluster.StreamsFromAsync("node2") == "node1", TimeSpan.FromSeconds(60));
        Assert.True(streamsAgain, "node2 does not stream from node1 after the heal.\n" + _cluster.DescribeMonitors());

        // The primary's monitor goes first, so no one can confirm the server's death: only the witness's vote can make a majority.
        await _cluster.MonitorOf("node1").KillAsync();
        await _cluster["node1"].Server.KillAsync();
        string? newPrimary = await _cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        Assert.True(newPrimary == "node2", $"node2 was not promoted with the witness's vote ({newPrimary}).\n" + _cluster.DescribeMonitors());
        Assert.Contains(_cluster.MonitorLines(_cluster["node2"].Conninfo), line => line.StartsWith("witness True 2 node2", StringComparison.Ordinal));
    }
}
