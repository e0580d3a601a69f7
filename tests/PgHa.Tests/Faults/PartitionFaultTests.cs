using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Faults;

/// <summary>
/// The primary cut off from its peers by cgroup while its clients (on its Unix socket) keep writing: a long cut
/// (it must fence before anyone else takes a write), a 1.5 s blip (nothing may happen), a cut during which the
/// primary's monitor restarts, and a cut of a primary whose monitor cannot log in to its own server over TCP.
/// With etcd every cut isolates node1 from etcd too (<see cref="CgroupFirewall"/>): each scenario is "the node is
/// isolated", and a primary cut off from its peers but still reaching etcd rightly keeps its key (nothing
/// happens, which would make the long cuts a second Blip). Cut off from etcd, its key's lease ends unrenewed, its
/// own lease (TTL minus the margin from its last keepalive) ends first and fences it, and a standby takes the key.
/// </summary>
[Collection(Failover.FailoverCollection.Name)]
public sealed class PartitionFaultTests(ITestOutputHelper output)
{
    // Slow: passes its safety claims, but the old primary's rejoin put "all streaming" at 5-21 s after the heal
    // here, around the 15 s the suite asks for (bench/README.md "faults").
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task PrimaryCutOff(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-cut", FaultClusterOptions.For(backend));
        await CutUntilFailoverAsync(f);
        f.AssertHolds(await f.FinishAsync(nameof(PrimaryCutOff)));
    }

    // Not Slow: both rows run in CI. With etcd the 1.5 s cut (from etcd too) must stay within what the primary's
    // lease survives: etcd's TTL (4 s at the defaults) minus the 0.5 s margin from its last answered keepalive.
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    public async Task Blip(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-blip", FaultClusterOptions.For(backend));
        int postmaster = f["node1"].Server.Pid ?? throw new InvalidOperationException("node1 does not run");
        f.FaultBegins();
        await f.Firewall.CutOffAsync("node1");
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the blip itself: its length is the point of the scenario
        await f.Firewall.HealAsync();
        f.FaultHealed();
        // Nothing may happen for longer than the detection window (7 s) after the blip: a bounded watch for
        // something that must not come.
        bool changed = await Polling.UntilAsync(async () =>
            (await f.Cluster.WritableAsync()).Any(w => w.Key != "node1" && w.Value == true) || !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(12));
        FaultOutcome outcome = await f.FinishAsync(nameof(Blip));
        f.AssertHolds(outcome);
        Assert.False(changed, "A 1.5 s blip caused a fence or a failover.\n" + f.MonitorDigest());
        Assert.Equal("node1", outcome.FinalPrimary);
        Assert.Equal(0, outcome.LostAckedWrites);
    }

    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task PrimaryMonitorRestartedDuringPartition(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-cutrestart", FaultClusterOptions.For(backend));
        f.FaultBegins();
        await f.Firewall.CutOffAsync("node1");
        // 1 s into the cut the primary's monitor dies and its service manager starts it again at once.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await f.Cluster.MonitorOf("node1").KillAsync();
        f.RestartMonitor("node1");
        await KeepCutUntilFailoverAsync(f);
        f.AssertHolds(await f.FinishAsync(nameof(PrimaryMonitorRestartedDuringPartition)));
    }

    /// <summary>
    /// The primary's monitor dies 1 s into a cut; its lease guard fences the server; the host starts the server
    /// again before the monitor (read-only: standby.signal is in place), and then the monitor, still cut off. It
    /// reads the metadata from its own server, takes itself for the leader of the old term with a lease that has
    /// ended, and fences the read-only server again; after the heal it must be rejoined to the node that won.
    /// (Written to reproduce a former primary left running read-only, which tried to follow for ever: that state
    /// came from the monitor's own boot, started between its metadata read and the guard's fence, which this
    /// scenario cannot time; HaRulesTests holds the rule. This one keeps the hand-started variant honest.)
    /// </summary>
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task FormerPrimaryReadOnlyDuringPartition(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-readonly", FaultClusterOptions.For(backend));
        int postmaster = f["node1"].Server.Pid ?? throw new InvalidOperationException("node1 does not run");
        f.FaultBegins();
        await f.Firewall.CutOffAsync("node1");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await f.Cluster.MonitorOf("node1").KillAsync();
        Assert.True(await Polling.UntilAsync(() => !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(15)),
            "node1's lease guard did not fence its server within 15 s of its monitor's death.\n" + f.MonitorDigest());
        await f["node1"].Server.StartAsync();
        f.CgroupOf("node1").AddProcessTree(f["node1"].Server.Pid ?? throw new InvalidOperationException("node1 did not start"));
        Assert.Equal("t", await f["node1"].Server.QueryScalarAsync("SELECT pg_is_in_recovery()")); // standby.signal: read-only
        f.Log("node1's lease guard fenced its server; the server was started again (read-only), then its monitor, still cut off");
        f.RestartMonitor("node1");
        await KeepCutUntilFailoverAsync(f);
        f.AssertHolds(await f.FinishAsync(nameof(FormerPrimaryReadOnlyDuringPartition)));
    }

    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task TcpLoginRefusedThenCut(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-hba", FaultClusterOptions.For(backend) with { TcpLocalProbe = new HashSet<string> { "node1" } });
        var server = f["node1"].Server;
        // pg_hba refuses every TCP login to node1 but replication; clients on the Unix socket go on writing.
        string hba = Path.Combine(server.DataDirectory, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, "host all all all reject\n" + await File.ReadAllTextAsync(hba));
        await server.ExecuteAsync("SELECT pg_reload_conf()");
        f.FaultBegins();
        await Task.Delay(TimeSpan.FromSeconds(2)); // refused logins alone for 2 s: the first half of the fault
        await CutUntilFailoverAsync(f, faultAlreadyBegun: true);
        f.AssertHolds(await f.FinishAsync(nameof(TcpLoginRefusedThenCut)));
    }

    /// <summary>Cuts node1 off, keeps the cut until another node takes writes and 3 s more, heals.</summary>
    internal static async Task CutUntilFailoverAsync(FaultCluster f, bool faultAlreadyBegun = false)
    {
        if (!faultAlreadyBegun)
        {
            f.FaultBegins();
        }
        await f.Firewall.CutOffAsync("node1");
        await KeepCutUntilFailoverAsync(f);
    }

    private static async Task KeepCutUntilFailoverAsync(FaultCluster f)
    {
        string? promoted = await f.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(40));
        f.Log(promoted is null ? "No standby was promoted within 40 s of the cut." : $"{promoted} takes writes"); // FinishAsync measures and fails what follows
        // 3 s more of the cut: a primary that did not fence goes on taking its clients' writes beside the new one.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await f.Firewall.HealAsync();
        f.FaultHealed();
    }
}
