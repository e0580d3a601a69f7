using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Etcd;

/// <summary>
/// Failsafe (Start-PgHaMonitor -EtcdFailsafe, Patroni's failsafe_mode): node1's monitor alone cut off from etcd
/// keeps its lease through the members, since every member's monitor vouches for it directly; its leader key
/// expires in etcd, yet no standby takes it (each vouched), and after the heal node1 takes its key again. Never
/// two writable. The same cut with one member's monitor gone: failsafe needs every member, so node1 fences and
/// a standby takes over, as without failsafe.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class EtcdFailsafeTests(ITestOutputHelper output) : EtcdMonitoredTest(output, "etcdsafe")
{
    protected override IReadOnlyDictionary<string, string> MonitorSettings => new Dictionary<string, string> { ["EtcdFailsafe"] = "true" };

    [Fact]
    public async Task PrimaryCutOffFromEtcd_EveryMemberVouches_KeepsRunningAndTakesItsKeyBack()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        await using (await NetworkCut.CutAsync(Etcd.Members.Select(m => m.Address), PrimaryMonitorCgroup.NftPath))
        {
            // Past the key's TTL and a standby's detection window: without failsafe node1 fenced within 5 s.
            bool keyGone = await Polling.UntilAsync(async () => await LeaderAsync() is null, TimeSpan.FromSeconds(20));
            Assert.True(keyGone, "node1's leader key did not expire in etcd within 20 s of the cut.\n" + Cluster.DescribeMonitors());
            await Task.Delay(TimeSpan.FromSeconds(8)); // a fixed span on purpose: nothing may change in it
            Assert.Equal(true, (await Cluster.WritableAsync())["node1"]);
            Assert.Null(await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(1)));
            Assert.Null(await LeaderAsync());
        }
        bool retaken = await Polling.UntilAsync(async () => (await LeaderAsync())?.NodeName == "node1", TimeSpan.FromSeconds(20));
        Assert.True(retaken, "node1 did not take its leader key back within 20 s of the heal.\n" + Cluster.DescribeMonitors());
        string node1Log = File.ReadAllText(Cluster.MonitorOf("node1").LogFile);
        Assert.Contains("failsafe: all 3 members vouched", node1Log);
        Assert.DoesNotContain("Fencing node1", node1Log);
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
        Assert.Equal(["node1"], report.EverWritable.ToArray());
    }

    [Fact]
    public async Task PrimaryCutOffFromEtcd_AMemberMonitorGone_FencesAndOneStandbyTakesOver()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        await Cluster.MonitorOf("node2").KillAsync(); // node2's server keeps streaming; its monitor answers nobody
        string? promoted;
        await using (await NetworkCut.CutAsync(Etcd.Members.Select(m => m.Address), PrimaryMonitorCgroup.NftPath))
        {
            promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
            Assert.True(promoted is not null, "No standby was promoted within 30 s although node1 could not have every member's vouch.\n" + Cluster.DescribeMonitors());
            Assert.NotEqual(true, (await Cluster.WritableAsync())["node1"]);
        }
        string node1Log = File.ReadAllText(Cluster.MonitorOf("node1").LogFile);
        Assert.Contains("failsafe needs every member", node1Log);
        Assert.Contains("Fencing node1", node1Log);
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");
    }
}
