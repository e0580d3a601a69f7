using System.Globalization;
using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Faults;

/// <summary>
/// Messages no monitor sent, written against today's peer protocol (one JSON line per connection, no signature;
/// src/PgHa/Operations/Monitor/PeerMessages.cs): what any process on a member's host, or elsewhere, can send.
/// Still meant on etcd: there the monitors' peer endpoints run too (the new primary's direct announce, the
/// failsafe's vouching, a direct pause), so a forged line must change nothing there either; the cut of
/// ForgedPauseThenCut isolates node1 from etcd as well (see <see cref="PartitionFaultTests"/>).
/// </summary>
[Collection(Failover.FailoverCollection.Name)]
public sealed class PeerMessageFaultTests(ITestOutputHelper output)
{
    /// <summary>An announce with the largest term, sent from node2's address to both standbys, then the primary killed: failover must still happen.</summary>
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task ForgedMaxTermAnnounceThenKill(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-maxterm", FaultClusterOptions.For(backend));
        int node1 = await f.NodeIdAsync("node1");
        string forged = $"{{\"op\":\"announce\",\"term\":{long.MaxValue.ToString(CultureInfo.InvariantCulture)},\"nodeId\":{node1}}}";
        foreach (string target in new[] { "node2", "node3" })
        {
            output.WriteLine($"announce to {target}: {await SendAsync(f, "node2", target, forged)}");
        }
        f.FaultBegins();
        await f["node1"].Server.KillAsync();
        string? promoted = await f.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        output.WriteLine($"promoted: {promoted ?? "none within 30 s"}");
        f.FaultHealed();
        f.AssertHolds(await f.FinishAsync(nameof(ForgedMaxTermAnnounceThenKill)));
    }

    /// <summary>A direct pause sent to the primary's monitor alone (from node2's address), then the primary cut off: it must still fence.</summary>
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task ForgedPauseThenCut(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-pause", FaultClusterOptions.For(backend));
        output.WriteLine($"pause to node1: {await SendAsync(f, "node2", "node1", "{\"op\":\"pause\"}")}");
        await PartitionFaultTests.CutUntilFailoverAsync(f);
        f.AssertHolds(await f.FinishAsync(nameof(ForgedPauseThenCut)));
    }

    /// <summary>
    /// Replayed, oversized and unsigned messages to every monitor: a vote request for term 2 replayed from
    /// node3's address, a stale announce of term 1 for node2, 1 MB lines, and an announce of term 5 from
    /// 127.0.0.1 (not a member). Nothing may change: node1 stays the only primary, unfenced, every monitor answers.
    /// </summary>
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    public async Task ReplayedOversizedAndUnsignedChangeNothing(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-garbage", FaultClusterOptions.For(backend));
        int postmaster = f["node1"].Server.Pid ?? throw new InvalidOperationException("node1 does not run");
        int node2 = await f.NodeIdAsync("node2"), node3 = await f.NodeIdAsync("node3");
        f.FaultBegins();
        string big = new('x', 1 << 20);
        foreach (string target in new[] { "node1", "node2", "node3" })
        {
            output.WriteLine($"{target} replayed vote: {await SendAsync(f, "node3", target, $"{{\"op\":\"vote\",\"term\":2,\"nodeId\":{node3},\"lsn\":\"FFFFFFFF/FFFFFFFF\"}}")}");
            output.WriteLine($"{target} stale announce: {await SendAsync(f, "node2", target, $"{{\"op\":\"announce\",\"term\":1,\"nodeId\":{node2}}}")}");
            output.WriteLine($"{target} oversized: {await SendAsync(f, "node2", target, big)}");
            output.WriteLine($"{target} oversized json: {Shorten(await SendAsync(f, "node2", target, $"{{\"op\":\"status\",\"pad\":\"{big}\"}}"))}");
            output.WriteLine($"{target} not a member: {await PeerMessage.SendAsync("127.0.0.1", f[target].Server.Address, f[target].MonitorPort, $"{{\"op\":\"announce\",\"term\":5,\"nodeId\":{node2}}}")}");
        }
        // Nothing may happen for longer than the detection window (7 s): a bounded watch for what must not come.
        bool changed = await Polling.UntilAsync(async () =>
            (await f.Cluster.WritableAsync()).Any(w => w.Key != "node1" && w.Value == true) || !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(12));
        f.FaultHealed();
        FaultOutcome outcome = await f.FinishAsync(nameof(ReplayedOversizedAndUnsignedChangeNothing));
        var monitors = f.Cluster.MonitorLines(f["node1"].Conninfo);
        output.WriteLine(string.Join("\n", monitors));
        f.AssertHolds(outcome);
        Assert.False(changed, "Forged messages caused a fence or a failover.\n" + f.MonitorDigest());
        Assert.Equal("node1", outcome.FinalPrimary);
        Assert.Equal(3, monitors.Count(m => m.Split(' ')[1] == "True"));
    }

    private static Task<string?> SendAsync(FaultCluster f, string fromNode, string toNode, string line) =>
        PeerMessage.SendAsync(f[fromNode].Server.Address, f[toNode].Server.Address, f[toNode].MonitorPort, line);

    private static string? Shorten(string? reply) => reply is { Length: > 200 } ? reply[..200] + "..." : reply;
}
