using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// Suspend-PgHaMonitor: every monitor reports the pause, a killed primary is not replaced while it lasts,
/// and the cluster view says so; Resume-PgHaMonitor warns that the primary's monitor cannot hear it, and
/// lets the failover happen once a detection window has passed from the resume.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class PausedTests(ITestOutputHelper output) : MonitoredClusterTest(output, "pause", new ClusterShape { Standbys = 2 })
{
    [Fact]
    public async Task PausedCluster_DoesNotFailOver_UntilResumed()
    {
        var suspended = Cluster.Session.Run("Suspend-PgHaMonitor -Conninfo $args[0] -Confirm:$false", Cluster["node1"].Conninfo).ThrowIfErrors();
        Assert.Equal(3, suspended.Output.Count);
        Assert.All(suspended.Output, m => Assert.True((bool)m.Properties["Paused"].Value));
        var view = Cluster.Session.Run("(Get-PgHaCluster -Conninfo $args[0]).Warnings", Cluster["node1"].Conninfo).ThrowIfErrors();
        Assert.Contains(view.Output, w => w.ToString()!.StartsWith("Monitoring is paused", StringComparison.Ordinal));

        await Cluster["node1"].Server.KillAsync();
        // Longer than the detection window: nothing may be promoted while paused (a bounded watch for what must not come).
        string? early = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(12));
        Assert.True(early is null, $"{early} was promoted while monitoring was paused.\n{Cluster.DescribeMonitors()}");

        // The primary's monitor gone too (a host lost whole): Resume cannot reach it, and says what that means.
        await Cluster.MonitorOf("node1").KillAsync();
        var resumed = Cluster.Session.Run("Resume-PgHaMonitor -Conninfo $args -Confirm:$false", Cluster["node2"].Conninfo, Cluster["node3"].Conninfo);
        Assert.Contains(resumed.Warnings, w => w.StartsWith("Neither the monitor of the primary node1", StringComparison.Ordinal) && w.Contains("fence", StringComparison.Ordinal));
        // The standbys give the primary a whole detection window (7 s) from the resume: a primary cut off
        // while paused needs it to fence itself once resumed. Nothing may be promoted in the first 4 s.
        string? tooSoon = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(4));
        Assert.True(tooSoon is null, $"{tooSoon} was promoted within 4 s of the resume, before a detection window had passed.\n{Cluster.DescribeMonitors()}");
        string? promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        Assert.True(promoted is not null, "No failover after Resume-PgHaMonitor.\n" + Cluster.DescribeMonitors());
    }
}
