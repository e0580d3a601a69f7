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
public sealed class WitnessTests(ITestOutputHelper output) : MonitoredClusterTest(output, "wit", new ClusterShape { Standbys = 1, Witness = true })
{
    [Fact]
    public async Task MinorityStandbyNeverPromotes_ThenTheWitnessDecidesWhenThePrimaryIsGone()
    {
        int primaryPostmaster = Cluster["node1"].Server.Pid ?? throw new InvalidOperationException("node1 does not run");
        await using (await NetworkCut.CutAsync([Cluster["node2"].Server.Address]))
        {
            // Well past the detection window: the cut-off standby must not promote, the primary must not fence.
            bool promoted = await Polling.UntilAsync(async () => (await Cluster.WritableAsync())["node2"] == true || !LinuxProcesses.IsAlive(primaryPostmaster),
                TimeSpan.FromSeconds(14));
            Assert.False(promoted, "The cut-off standby promoted, or the primary fenced itself although the witness saw it.\n" + Cluster.DescribeMonitors());
            Assert.True((await Cluster.WritableAsync())["node1"]);
        }
        bool streamsAgain = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node2") == "node1", TimeSpan.FromSeconds(60));
        Assert.True(streamsAgain, "node2 does not stream from node1 after the heal.\n" + Cluster.DescribeMonitors());

        // The primary's monitor goes first, so no one can confirm the server's death: only the witness's vote can make a majority.
        await Cluster.MonitorOf("node1").KillAsync();
        await Cluster["node1"].Server.KillAsync();
        string? newPrimary = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        Assert.True(newPrimary == "node2", $"node2 was not promoted with the witness's vote ({newPrimary}).\n" + Cluster.DescribeMonitors());
        // The witness's monitor keeps its copy of the metadata in step with the new primary's.
        var witness = Cluster["witness"].Server;
        bool copied = await Polling.UntilAsync(async () =>
            await witness.QueryScalarAsync("SELECT role FROM pgha.nodes WHERE node_name = 'node2'", "pgha") == "primary", TimeSpan.FromSeconds(30));
        Assert.True(copied, "The witness's copy of the metadata does not show node2 as the primary.\n" + Cluster.DescribeMonitors());

        // The witness took part: it follows node2 in the new term (2, or more when an election had to be run again).
        Assert.Contains(Cluster.MonitorLines(Cluster["node2"].Conninfo), line => line.Split(' ') is ["witness", "True", var term, "node2", _] && long.Parse(term) >= 2);
    }
}
