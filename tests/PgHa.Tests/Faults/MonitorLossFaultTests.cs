using System.Globalization;
using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Faults;

/// <summary>
/// Monitors that die at the worst moment: a standby's monitor during a failover (the "no primary at all" case
/// of issue 9), and the primary's monitor before it could fence, followed by a reboot of its node (the monitor
/// comes back with -ManageServer and starts the server). The same on both backends. With etcd the standbys do
/// not vote, so the first scenario's "wrongly counted majority" is etcd's key instead: the new primary must keep
/// it while a member's monitor is dead; in the second, node1's key outlives its monitor by its lease (the TTL,
/// 4 s at the defaults) and only then can a standby take it.
/// </summary>
[Collection(Failover.FailoverCollection.Name)]
public sealed class MonitorLossFaultTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task StandbyMonitorKilledDuringFailover(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-standbymon", FaultClusterOptions.For(backend));
        f.FaultBegins();
        await f["node1"].Server.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(1)); // the shape of the fault: the second loss comes 1 s after the first
        // The standby with the most WAL (on a tie node3, as in the issue's run) loses its monitor.
        long lsn2 = await ReceivedAsync(f, "node2"), lsn3 = await ReceivedAsync(f, "node3");
        string victim = lsn2 > lsn3 ? "node2" : "node3";
        output.WriteLine($"received WAL: node2 {lsn2}, node3 {lsn3}; killing the monitor of {victim}");
        await f.Cluster.MonitorOf(victim).KillAsync();
        string? promoted = await f.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        output.WriteLine($"promoted: {promoted ?? "none within 30 s"}");
        // The monitor stays dead for 20 s (long enough for a wrongly counted majority to fence the new primary),
        // then its service manager starts it again.
        await Task.Delay(TimeSpan.FromSeconds(20));
        f.RestartMonitor(victim);
        f.FaultHealed();
        f.AssertHolds(await f.FinishAsync(nameof(StandbyMonitorKilledDuringFailover)));
    }

    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task RebootAfterMonitorDiedBeforeFencing(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-reboot", FaultClusterOptions.For(backend));
        f.FaultBegins();
        // The node goes down, its monitor first: nothing fences it, no standby.signal is written.
        await f.Cluster.MonitorOf("node1").KillAsync();
        await f["node1"].Server.KillAsync();
        string? promoted = await f.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        f.Log(promoted is null ? "No standby was promoted within 30 s of the loss of node1." : $"{promoted} takes writes"); // FinishAsync measures and fails what follows
        // The reboot, as the systemd example runs it (PostgreSQL's own unit disabled): the monitor comes back with
        // -ManageServer and starts the server itself. (Before the monitor could start servers, this scenario started
        // PostgreSQL first, as its own unit would: node1 came up writable beside node2, see bench/README.md.)
        f.RestartMonitor("node1");
        f.FaultHealed();
        f.AssertHolds(await f.FinishAsync(nameof(RebootAfterMonitorDiedBeforeFencing)));
    }

    private static async Task<long> ReceivedAsync(FaultCluster f, string node)
    {
        var server = f[node].Server;
        string? bytes = await WireClient.QueryScalarOverSocketAsync(server.SocketDirectory, server.Port, "postgres",
            "SELECT pg_last_wal_receive_lsn() - '0/0'", TimeSpan.FromSeconds(2));
        return bytes is null ? 0 : (long)decimal.Parse(bytes, CultureInfo.InvariantCulture);
    }
}
