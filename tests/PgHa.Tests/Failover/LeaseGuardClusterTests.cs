using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// The primary's monitor killed (kill -9 of its whole process tree, as a crash or the OOM killer would): nothing
/// renews its lease, and its lease guard, which no kill of the monitor reaches, fences the server when the lease
/// ends (standby.signal, immediate stop) — before any standby could be elected — so that a partition that began
/// meanwhile can never leave two writable primaries (the fault suite's PrimaryMonitorRestartedDuringPartition).
/// The standbys then fail over; the restarted monitor reports what the guard did and rejoins the node.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class LeaseGuardClusterTests(ITestOutputHelper output) : MonitoredClusterTest(output, "guard", new ClusterShape { Standbys = 2 })
{
    [Fact]
    public async Task PrimaryMonitorKilled_TheGuardFencesAtTheLeasesEnd_AStandbyTakesOver_NeverTwoWritable()
    {
        await using var probe = SplitBrainProbe.Start(Cluster);
        string signal = Path.Combine(Cluster["node1"].Server.DataDirectory, "standby.signal");
        int postmaster = Cluster["node1"].Server.Pid ?? throw new InvalidOperationException("node1 does not run");
        // One guard runs beside the primary (started by its monitor within a second of its start).
        bool guarded = await Polling.UntilAsync(() => LinuxProcesses.WithCommandLineContaining("pgha-lease-guard")
            .Count(pid => LinuxProcesses.CommandLineOf(pid)?.Contains(Cluster["node1"].Server.DataDirectory, StringComparison.Ordinal) == true) == 1, TimeSpan.FromSeconds(10));
        Assert.True(guarded, "No lease guard (or more than one) runs beside node1.\n" + Cluster.DescribeMonitors());
        await Cluster.MonitorOf("node1").KillAsync();

        // The lease is 3.5 s from its last renewal; a standby may vote only after 7 s without the primary.
        bool fenced = await Polling.UntilAsync(() => !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(15));
        Assert.True(fenced, "node1's server still runs 15 s after its monitor was killed: no guard fenced it.\n" + Cluster.DescribeMonitors());
        Assert.True(File.Exists(signal), "node1 was stopped without standby.signal.");

        string? promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(45));
        Assert.True(promoted is not null, "No standby was promoted after node1 was fenced.\n" + Cluster.DescribeMonitors());

        Cluster.RestartMonitor("node1");
        bool rejoined = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node1") == promoted, TimeSpan.FromSeconds(90));
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(rejoined, $"node1 did not come back as a standby of {promoted} within 90 s.\n" + Cluster.DescribeMonitors());
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n{Cluster.DescribeMonitors()}");

        // The restarted monitor tells what the guard did, in its log and as an event.
        Assert.Contains("The lease guard fenced the server", Cluster.MonitorOf("node1").Describe(), StringComparison.Ordinal);
        bool recorded = await Polling.UntilAsync(() => Cluster.Session.Run("Get-PgHaEvent -Conninfo $args[0] -Event primary_fenced | ForEach-Object Details", Cluster[promoted!].Conninfo)
            .ThrowIfErrors().Output.Any(o => o.ToString()!.Contains("lease guard", StringComparison.Ordinal)), TimeSpan.FromSeconds(15));
        Assert.True(recorded, "No primary_fenced event tells of the lease guard.\n" + Cluster.DescribeMonitors());
    }
}
