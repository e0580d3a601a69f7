using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Etcd;

/// <summary>
/// The pause with etcd deciding lives under the cluster's prefix too: Suspend-PgHaMonitor writes the pause key
/// beside the metadata's flag and Resume-PgHaMonitor deletes it; a pause key written by hand (etcdctl) pauses
/// every monitor within a metadata refresh, and deleting it resumes them. Nothing is elected meanwhile.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class EtcdPauseTests(ITestOutputHelper output) : EtcdMonitoredTest(output, "etcdpause")
{
    [Fact]
    public async Task SuspendAndResumeWriteThePauseKey_AndAKeyWrittenByHandPausesEveryMonitor()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        string conninfo = Cluster["node1"].Conninfo;
        Cluster.Session.Run("Suspend-PgHaMonitor -Conninfo $args[0] -Confirm:$false", conninfo).ThrowIfErrors();
        Assert.True(await PauseKeyAsync(), "Suspend-PgHaMonitor left no pause key under the prefix.");
        Cluster.Session.Run("Resume-PgHaMonitor -Conninfo $args[0] -Confirm:$false", conninfo).ThrowIfErrors();
        Assert.False(await PauseKeyAsync(), "Resume-PgHaMonitor left the pause key under the prefix.");

        await SetPauseKeyAsync(true);
        bool paused = await Polling.UntilAsync(() => Task.FromResult(PausedMonitors() == 3), TimeSpan.FromSeconds(20));
        Assert.True(paused, $"Not every monitor took the pause key written by hand within 20 s ({PausedMonitors()} of 3).\n{Cluster.DescribeMonitors()}");
        await SetPauseKeyAsync(false);
        bool resumed = await Polling.UntilAsync(() => Task.FromResult(PausedMonitors() == 0), TimeSpan.FromSeconds(20));
        Assert.True(resumed, $"Not every monitor resumed within 20 s of the pause key's deletion ({PausedMonitors()} still paused).\n{Cluster.DescribeMonitors()}");

        Assert.Equal("node1", (await LeaderAsync())?.NodeName);
        SplitBrainReport report = await probe.StopAsync();
        Assert.Equal(["node1"], report.EverWritable.ToArray());
    }

    private int PausedMonitors() =>
        Cluster.Session.Run("@(Get-PgHaMonitor -Conninfo $args | Where-Object { $_.Running -and $_.Paused }).Count", Cluster.Conninfos.Cast<object?>().ToArray())
            .ThrowIfErrors().Output.Select(o => Convert.ToInt32(o.BaseObject, System.Globalization.CultureInfo.InvariantCulture)).Single();
}
