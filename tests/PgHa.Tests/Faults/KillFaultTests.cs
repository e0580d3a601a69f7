using PgHa.Etcd;
using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Faults;

/// <summary>
/// A primary that dies: its postmaster killed under a running monitor (the monitor fences it, a standby is
/// promoted, the old primary rejoins), and the whole node lost (monitor and server killed together), then its
/// monitor started again as after a reboot. Both on the built-in quorum and with etcd deciding (issue 10). With
/// etcd only: a stale leader key of a previous cluster under the same prefix, then the kill.
/// </summary>
[Collection(Failover.FailoverCollection.Name)]
public sealed class KillFaultTests(ITestOutputHelper output)
{
    /// <summary>The cluster id the stale key names: a system identifier of a cluster that used the prefix before.</summary>
    private const string PreviousClusterId = "7000000000000000007";

    /// <summary>The stale key's term: far above any this cluster reaches in a run.</summary>
    private const long PreviousTerm = 1_000_000;

    // Slow: the old primary's rejoin (pg_rewind) put "all streaming" at 13.5-21.4 s after the promotion here,
    // around the 15 s the suite asks for (bench/README.md "faults").
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task KillPostmaster(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-kill", FaultClusterOptions.For(backend));
        await KillPrimaryPostmasterAsync(f);
        f.AssertHolds(await f.FinishAsync(nameof(KillPostmaster)));
    }

    // With etcd a whole node lost takes the leader key's lease (the TTL, 4 s at the defaults) before a standby can
    // take the key; with the built-in quorum, the early vote-out.
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task WholeNodeLost(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-node", FaultClusterOptions.For(backend));
        f.FaultBegins();
        await Task.WhenAll(f.Cluster.MonitorOf("node1").KillAsync(), f["node1"].Server.KillAsync());
        string? promoted = await f.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        f.Log(promoted is null ? "No standby was promoted within 30 s of the loss of node1." : $"{promoted} takes writes"); // FinishAsync measures and fails what follows
        // The node comes back: its service manager starts the monitor (with node1's own conninfo, as the demo
        // does), which must find the cluster and bring the server back as a standby.
        f.RestartMonitor("node1");
        f.FaultHealed();
        f.AssertHolds(await f.FinishAsync(nameof(WholeNodeLost)));
    }

    /// <summary>
    /// etcd only (the built-in quorum keeps nothing outside the cluster that a previous one could leave behind):
    /// before the monitors start, the prefix holds the leader key a previous cluster's primary left, as PgHa
    /// writes it (node "node1", the same name as ours, so only the cluster id tells it apart; a term far above
    /// ours) on a lease of an hour that nobody renews. The monitors must not take it for this cluster's: node1,
    /// the recorded primary, must end up holding the key in its own term under this cluster's id, and take writes
    /// (the writer's first 20 acknowledged writes are part of the start). Then node1's postmaster is killed:
    /// the usual outcome, and the key with a standby of this cluster.
    /// </summary>
    [Theory]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task StaleLeaderKeyThenKill(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-stalekey", FaultClusterOptions.For(backend) with { BeforeMonitorsStart = PutStaleLeaderKeyAsync });
        string ours = await f.SystemIdentifierAsync();
        EtcdLeaderRecord? held = null;
        bool taken = await Polling.UntilAsync(async () =>
        {
            held = await ReadLeaderAsync(f);
            return held is { NodeName: "node1" } && held.ClusterId == ours;
        }, TimeSpan.FromSeconds(10));
        f.Log($"leader key before the fault: {Describe(held)}");
        Assert.True(taken, $"node1 did not hold the leader key for this cluster ({ours}) once the cluster was running: {Describe(held)}\n{f.MonitorDigest()}");
        Assert.True(held!.Term < PreviousTerm, $"node1 holds the key in the stale key's term, not its own: {Describe(held)}");
        Assert.NotEqual(0, held.Lease);

        string? promoted = await KillPrimaryPostmasterAsync(f);
        FaultOutcome outcome = await f.FinishAsync(nameof(StaleLeaderKeyThenKill));
        EtcdLeaderRecord? after = await ReadLeaderAsync(f);
        f.Log($"leader key after the failover: {Describe(after)}");
        f.AssertHolds(outcome);
        Assert.True(after is not null && after.ClusterId == ours && after.NodeName == outcome.FinalPrimary && after.Term > held.Term,
            $"After the failover the leader key is {Describe(after)}, not {outcome.FinalPrimary ?? promoted}'s in a newer term of this cluster ({ours}).");
    }

    /// <summary>Kills node1's postmaster under its monitor and marks the heal when a standby takes writes; the promoted node.</summary>
    private async Task<string?> KillPrimaryPostmasterAsync(FaultCluster f)
    {
        f.FaultBegins();
        await f["node1"].Server.KillAsync();
        string? promoted = await f.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        f.Log(promoted is null ? "No standby was promoted within 30 s." : $"{promoted} takes writes"); // FinishAsync measures and fails what follows
        f.FaultHealed(); // nothing to undo: the healing is the failover itself and the rejoin that follows
        return promoted;
    }

    /// <summary>
    /// The key a previous cluster's primary left, written with PgHa's own store under this cluster's prefix, on no
    /// lease: a leftover no running monitor keeps (PgHa's keys are always on a lease; a dead cluster's lease would
    /// have ended within its TTL). One on a live lease may be a running cluster's and is never deleted by PgHa.
    /// </summary>
    private async Task PutStaleLeaderKeyAsync(FaultCluster f)
    {
        using EtcdClient client = f.EtcdClient();
        var previous = new EtcdClusterStore(client, FaultCluster.EtcdPrefix, PreviousClusterId);
        var noLease = new EtcdLease(0, TimeSpan.Zero, System.Diagnostics.Stopwatch.GetTimestamp());
        EtcdLeaderClaim claim = await previous.TryTakeLeaderAsync("node1", PreviousTerm, noLease, default);
        Assert.True(claim.Held, $"The stale key could not be written: the key is {Describe(claim.Holder)}");
        output.WriteLine($"stale leader key put before the monitors start: {Describe(await ReadLeaderAsync(f))}; this cluster's id is {await f.SystemIdentifierAsync()}");
    }

    private static async Task<EtcdLeaderRecord?> ReadLeaderAsync(FaultCluster f)
    {
        using EtcdClient client = f.EtcdClient();
        // The cluster id given here only names the reader: ReadLeaderAsync returns whatever key is there.
        return await new EtcdClusterStore(client, FaultCluster.EtcdPrefix, "(reader)").ReadLeaderAsync(default);
    }

    private static string Describe(EtcdLeaderRecord? key) => key is null
        ? "absent"
        : $"node {key.NodeName}, cluster {key.ClusterId}, term {key.Term?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, lease {key.Lease} ({key.TtlLeft?.TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) ?? "no"} s left)";
}
