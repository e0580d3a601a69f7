using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// Synchronous replication (FIRST 1 of the standbys): a writer commits without pause while the
/// primary is killed; every commit the writer saw acknowledged is on the new primary. Then the only
/// standby left is stopped: with -SynchronousPolicy Degrade, writes do not hang — the monitor sets the
/// setting aside after its timeout, records synchronous_degraded, and the cluster view warns.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class SynchronousFailoverTests(ITestOutputHelper output) : MonitoredClusterTest(output, "sync", new ClusterShape
    {
        Standbys = 2,
        // node1, rejoined after the failover, is not named: it stays asynchronous.
        Settings = new Dictionary<string, string> { ["synchronous_standby_names"] = "FIRST 1 (node2, node3)" },
    })
{
    protected override IReadOnlyDictionary<string, string>? MonitorSettings => new Dictionary<string, string> { ["SynchronousPolicy"] = "Degrade", ["SynchronousTimeout"] = "3" };

    protected override async Task PrepareAsync()
    {
        await Cluster["node1"].Server.ExecuteAsync("CREATE TABLE acked (id bigint PRIMARY KEY)", "pgha");
    }

    [Fact]
    public async Task AcknowledgedWritesSurviveFailover_AndALostSynchronousStandbyDegradesInsteadOfHanging()
    {
        var acknowledged = new List<long>();
        using var stop = new CancellationTokenSource();
        Task writer = Task.Run(async () =>
        {
            for (long id = 1; !stop.IsCancellationRequested; id++)
            {
                foreach (var member in Cluster.DataNodes)
                {
                    try
                    {
                        await WireClient.QueryScalarOverSocketAsync(member.Server.SocketDirectory, member.Server.Port, "pgha",
                            $"INSERT INTO acked VALUES ({id}) RETURNING id", TimeSpan.FromSeconds(1));
                        lock (acknowledged)
                        {
                            acknowledged.Add(id);
                        }
                        break;
                    }
                    catch (WireException)
                    {
                        // Not this node (a standby refuses, a dead one does not answer): try the next.
                    }
                }
                await Task.Delay(20);
            }
        });
        await Polling.UntilAsync(() => { lock (acknowledged) { return acknowledged.Count >= 20; } }, TimeSpan.FromSeconds(20));
        await Cluster["node1"].Server.KillAsync();
        string? promoted = await Cluster.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        Assert.True(promoted is not null, "No failover.\n" + Cluster.DescribeMonitors());
        int before;
        lock (acknowledged)
        {
            before = acknowledged.Count;
        }
        await Polling.UntilAsync(() => { lock (acknowledged) { return acknowledged.Count >= before + 20; } }, TimeSpan.FromSeconds(30));
        stop.Cancel();
        await writer;

        var server = Cluster[promoted!].Server;
        string? present = await WireClient.QueryScalarOverSocketAsync(server.SocketDirectory, server.Port, "pgha",
            $"SELECT count(*) FROM acked WHERE id IN ({string.Join(',', acknowledged)})", TimeSpan.FromSeconds(5));
        Assert.Equal(acknowledged.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), present);

        // The old primary back as a standby keeps the new primary in the majority (it vouches for it), but is not
        // named in synchronous_standby_names. The other standby is then the only synchronous one: stop it, and
        // writes must go on after the 3 s timeout.
        bool rejoined = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync("node1") == promoted, TimeSpan.FromSeconds(60));
        Assert.True(rejoined, "node1 did not rejoin.\n" + Cluster.DescribeMonitors());
        string other = Cluster.DataNodes.Select(m => m.Name).Single(n => n != "node1" && n != promoted);
        await Cluster.MonitorOf(other).StopAsync();
        await Cluster[other].Server.StopAsync();
        bool writesGoOn = await Polling.UntilAsync(async () =>
        {
            try
            {
                await WireClient.QueryScalarOverSocketAsync(server.SocketDirectory, server.Port, "pgha", "INSERT INTO acked VALUES (-1) ON CONFLICT DO NOTHING RETURNING 1", TimeSpan.FromSeconds(2));
                return true;
            }
            catch (WireException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30));
        Assert.True(writesGoOn, "Writes still hang with no synchronous standby left.\n" + Cluster.DescribeMonitors());
        var warnings = Cluster.Session.Run("(Get-PgHaCluster -Conninfo $args[0]).Warnings", Cluster[promoted!].Conninfo).ThrowIfErrors();
        Assert.Contains(warnings.Output, w => w.ToString()!.StartsWith("Synchronous replication is degraded", StringComparison.Ordinal));
        bool recorded = await Polling.UntilAsync(() =>
            Cluster.Session.Run("Get-PgHaEvent -Conninfo $args[0] -Event synchronous_degraded", Cluster[promoted!].Conninfo).ThrowIfErrors().Output.Count == 1,
            TimeSpan.FromSeconds(15));
        Assert.True(recorded, "No synchronous_degraded event.\n" + Cluster.DescribeMonitors());
    }
}
