using System.Diagnostics;
using PgHa.Etcd;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Etcd;

/// <summary>
/// kill -9 of the primary's postmaster with etcd deciding: node1's monitor fences the data directory and deletes
/// its leader key, exactly one standby (node3, the higher priority) takes the key in a newer term and is
/// promoted, node2 follows it, node1 rejoins, and no probe ever finds two writable primaries.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class EtcdKillPrimaryTests(ITestOutputHelper output) : EtcdMonitoredTest(output, "etcdkill")
{
    [Fact]
    public async Task KilledPrimary_OneStandbyTakesTheLeaderKeyAndIsPromoted_NeverTwoWritable()
    {
        // Every monitor runs the etcd backend; the primary's shows its lease.
        IReadOnlyList<string> before = MonitorConsensusLines();
        Assert.True(before.Count == 3 && before.All(l => l.Split(' ')[1] == "etcd"), string.Join("; ", before));
        Assert.Matches(@"^node1 etcd \d", before.Single(l => l.StartsWith("node1 ", StringComparison.Ordinal)));
        EtcdLeaderRecord first = (await LeaderAsync())!;

        await using var probe = SplitBrainProbe.Start(Cluster);
        var clock = Stopwatch.StartNew();
        await Cluster["node1"].Server.KillAsync();
        string? promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        TimeSpan failover = clock.Elapsed;
        Assert.True(promoted == "node3", $"node3 (priority 150) was not promoted within 30 s (writable: {promoted ?? "none"}).\n{Cluster.DescribeMonitors()}");
        Output.WriteLine($"kill -9 of node1's postmaster to node3 writable: {failover.TotalSeconds:0.00} s");

        // etcd decided: the leader key names node3 in a newer term than node1's.
        EtcdLeaderRecord? leader = null;
        bool keyed = await Polling.UntilAsync(async () => (leader = await LeaderAsync()) is { NodeName: "node3" }, TimeSpan.FromSeconds(10));
        Assert.True(keyed, $"The leader key names {leader?.NodeName ?? "nobody"}, not node3.\n{Cluster.DescribeMonitors()}");
        Assert.True(leader!.Term > first.Term, $"node3's key is in term {leader.Term}, node1's was in {first.Term}.");
        Assert.Contains("etcd: took the leader key", File.ReadAllText(Cluster.MonitorOf("node3").LogFile));

        bool follows = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node2") == "node3", TimeSpan.FromSeconds(30));
        Assert.True(follows, "node2 did not stream from node3 within 30 s.\n" + Cluster.DescribeMonitors());
        bool rejoined = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node1") == "node3", TimeSpan.FromSeconds(45));
        Assert.True(rejoined, "node1 did not rejoin as a standby of node3 within 45 s.\n" + Cluster.DescribeMonitors());

        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
        Assert.Equal(["node3"], report.EverWritable.Where(n => n != "node1").ToArray());
        Assert.Equal("node3", (await LeaderAsync())?.NodeName);
    }
}

/// <summary>
/// node1's monitor alone cut off from etcd (its server still reachable, the other monitors still reach etcd):
/// its renewals fail, its lease timer fences it before etcd can let the key go, and only then can a standby
/// take the key; after the heal node1 rejoins the new primary.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class EtcdPrimaryCutOffTests(ITestOutputHelper output) : EtcdMonitoredTest(output, "etcdcut")
{
    [Fact]
    public async Task PrimaryCutOffFromEtcd_FencesItselfBeforeTheKeyIsTaken_OneNewPrimary()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        string? promoted;
        // Only what node1's monitor sends to etcd's members is dropped: the other monitors and the test still reach etcd.
        await using (await NetworkCut.CutAsync(Etcd.Members.Select(m => m.Address), PrimaryMonitorCgroup.NftPath))
        {
            promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
            Assert.True(promoted is not null, "No standby was promoted within 30 s of cutting node1's monitor off from etcd.\n" + Cluster.DescribeMonitors());
            Assert.NotEqual(true, (await Cluster.WritableAsync())["node1"]);
            Assert.Equal(promoted, (await LeaderAsync())?.NodeName);
        }
        string node1Log = File.ReadAllText(Cluster.MonitorOf("node1").LogFile);
        Assert.Contains("Fencing node1: its lease ended", node1Log);

        bool rejoined = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node1") == promoted, TimeSpan.FromSeconds(45));
        Assert.True(rejoined, $"node1 did not rejoin {promoted} within 45 s of the heal.\n{Cluster.DescribeMonitors()}");
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
        Assert.Equal([promoted!], report.EverWritable.Where(n => n != "node1").ToArray());
    }
}

/// <summary>
/// Sparse keepalives (Start-PgHaMonitor -EtcdKeepAliveInterval 1.5, Patroni's once-per-loop cadence stretched so
/// that a test sees it): the leader key's lease is seen with 2 s of its 4 s left (every primary round would keep
/// it above 3.5 s), node1 stays the primary, and cut off from etcd it still fences itself on the lease of its last
/// keepalive before a standby can take the key: never two writable.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class EtcdSparseKeepAliveTests(ITestOutputHelper output) : EtcdMonitoredTest(output, "etcdsparse")
{
    protected override IReadOnlyDictionary<string, string> MonitorSettings => new Dictionary<string, string> { ["EtcdKeepAliveInterval"] = "1.5" };

    [Fact]
    public async Task KeyKeptAliveEveryOneAndAHalfSeconds_PrimaryCutOffStillFencesBeforeTheKeyIsTaken()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        var seen = new List<double>();
        bool sparse = await Polling.UntilAsync(async () =>
        {
            if (await LeaderAsync() is { NodeName: "node1", TtlLeft: { } left })
            {
                seen.Add(left.TotalSeconds);
            }
            return seen.Count > 0 && seen.Min() <= 2;
        }, TimeSpan.FromSeconds(10));
        Assert.True(sparse, $"The leader key's lease never had 2 s or less left in 10 s ({seen.Count} samples, the least {(seen.Count > 0 ? seen.Min() : double.NaN)} s): it is kept alive more often than every 1.5 s.\n{Cluster.DescribeMonitors()}");
        Assert.Equal(true, (await Cluster.WritableAsync())["node1"]);
        Assert.Contains("the leader key kept alive every 1.5 s", File.ReadAllText(Cluster.MonitorOf("node1").LogFile));

        string? promoted;
        await using (await NetworkCut.CutAsync(Etcd.Members.Select(m => m.Address), PrimaryMonitorCgroup.NftPath))
        {
            promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
            Assert.True(promoted is not null, "No standby was promoted within 30 s of cutting node1's monitor off from etcd.\n" + Cluster.DescribeMonitors());
            Assert.NotEqual(true, (await Cluster.WritableAsync())["node1"]);
        }
        Assert.Contains("Fencing node1: its lease ended", File.ReadAllText(Cluster.MonitorOf("node1").LogFile));
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
    }
}

/// <summary>
/// etcd loses its quorum (two of its three members killed): nobody can renew or take the leader key, so the
/// primary fences itself and no standby is promoted; once etcd has its quorum again, the cluster settles on
/// exactly one primary.
/// </summary>
[Collection(FailoverCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class EtcdQuorumLostTests(ITestOutputHelper output) : EtcdMonitoredTest(output, "etcdquorum")
{
    [Fact]
    public async Task EtcdQuorumLost_PrimaryFences_NobodyPromotes_OnePrimaryOnceItReturns()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        EtcdClusterMember[] lost = Etcd.Members.Take(2).ToArray();
        foreach (EtcdClusterMember member in lost)
        {
            await Etcd.StopAsync(member, kill: true);
        }
        bool fenced = await Polling.UntilAsync(async () => (await Cluster.WritableAsync())["node1"] != true, TimeSpan.FromSeconds(20));
        Assert.True(fenced, "node1 still takes writes 20 s after etcd lost its quorum.\n" + Cluster.DescribeMonitors());

        // Longer than a standby's detection window (7 s): a standby that could promote would have by then.
        string? promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(10));
        Assert.True(promoted is null, $"{promoted} was promoted while etcd had no quorum.\n{Cluster.DescribeMonitors()}");

        foreach (EtcdClusterMember member in lost)
        {
            Etcd.Start(member);
        }
        await Etcd.WaitHealthyAsync();
        string primary = "";
        bool settled = await Polling.UntilAsync(async () =>
        {
            var writable = (await Cluster.WritableAsync()).Where(w => w.Value == true).Select(w => w.Key).ToList();
            primary = writable.Count == 1 ? writable[0] : "";
            return primary.Length > 0 && (await LeaderAsync())?.NodeName == primary;
        }, TimeSpan.FromSeconds(30));
        Assert.True(settled, "The cluster did not settle on one primary holding the leader key within 30 s of etcd's return.\n" + Cluster.DescribeMonitors());
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
    }
}

/// <summary>
/// A planned switchover with etcd deciding: Invoke-PgHaSwitchover pauses the monitors and records node2 as the
/// primary of a new term; node2's monitor takes the leader key over from node1's older-term key (or creates
/// it once node1 resigned it), so that after the resume node2 holds the key and is not fenced, nobody is elected.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class EtcdSwitchoverTests(ITestOutputHelper output) : EtcdMonitoredTest(output, "etcdsw")
{
    [Fact]
    public async Task SwitchoverUnderEtcd_NewPrimaryHoldsTheKey_NoFenceNoElection()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        Cluster.Session.Run("Invoke-PgHaSwitchover -Conninfo $args[0] -Name node2 -Confirm:$false", Cluster["node1"].Conninfo).ThrowIfErrors();

        EtcdLeaderRecord? leader = null;
        bool keyed = await Polling.UntilAsync(async () => (leader = await LeaderAsync()) is { NodeName: "node2", Term: >= 2 }, TimeSpan.FromSeconds(20));
        Assert.True(keyed, $"The leader key names {leader?.NodeName ?? "nobody"} (term {leader?.Term}), not node2 in a new term.\n{Cluster.DescribeMonitors()}");

        // Longer than the lease and the detection window: node2 stays the one primary.
        bool changed = await Polling.UntilAsync(async () =>
        {
            Dictionary<string, bool?> writable = await Cluster.WritableAsync();
            return writable.Any(w => w.Key != "node2" && w.Value != false) || writable["node2"] != true;
        }, TimeSpan.FromSeconds(10));
        SplitBrainReport report = await probe.StopAsync();
        Assert.False(changed, "After the switchover node2 stopped being the only primary.\n" + Cluster.DescribeMonitors());
        Assert.True(report.MaxWritableAtOnce <= 1, report.ToString());
        Assert.Equal("node2", (await LeaderAsync())?.NodeName);
        var failovers = Cluster.Session.Run("Get-PgHaEvent -Conninfo $args[0] -Event failover_*, primary_fenced", Cluster["node2"].Conninfo).ThrowIfErrors();
        Assert.Empty(failovers.Output);
    }
}

/// <summary>
/// etcd loses one member, its raft leader (kill -9): the other two elect a new leader within about a second,
/// the primary's renewals go on through them within its lease, and nothing changes: node1 stays the only
/// writable node and keeps the leader key, in the same term.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class EtcdMemberLostTests(ITestOutputHelper output) : EtcdMonitoredTest(output, "etcdmember")
{
    [Fact]
    public async Task EtcdLeaderKilled_NothingChanges()
    {
        EtcdLeaderRecord before = (await LeaderAsync())!;
        EtcdClusterMember etcdLeader = await Etcd.LeaderAsync() ?? throw new InvalidOperationException("etcd reports no leader.");
        await using var probe = SplitBrainProbe.Start(Cluster);
        await Etcd.StopAsync(etcdLeader, kill: true);

        // Twice the leader key's TTL: a primary that lost its lease would have fenced itself by then.
        bool changed = await Polling.UntilAsync(async () =>
        {
            Dictionary<string, bool?> writable = await Cluster.WritableAsync();
            return writable["node1"] != true || writable.Any(w => w.Key != "node1" && w.Value == true);
        }, TimeSpan.FromSeconds(8));
        SplitBrainReport report = await probe.StopAsync();
        Assert.False(changed, $"Losing the etcd member {etcdLeader.Name} changed the primary: {report}\n{Cluster.DescribeMonitors()}");
        EtcdLeaderRecord? after = await LeaderAsync();
        Assert.Equal(("node1", before.Term), (after?.NodeName, after?.Term));
        Assert.Equal(["node1"], report.EverWritable.ToArray());
    }
}
