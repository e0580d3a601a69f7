using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations.Clone;
using PgHa.Operations.Host;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Roles;

/// <summary>
/// One timeline number made twice (the fault suite's HangingHookThenNewPrimaryCutOff): node2 is promoted to
/// timeline 2, and node1, which never streamed from it, is promoted to a timeline 2 of its own after writing
/// on. pg_rewind compares timeline numbers only and would find "nothing to rewind"; Invoke-PgHaRejoin must
/// refuse before it runs (PgHaRejoinNeedsClone) and change nothing, and the clone the monitor makes then must
/// keep node1's old directory whole beside the new copy, with node1's own configuration.
/// </summary>
public sealed class TimelineMadeTwiceTests(PgHaSession session, ITestOutputHelper output) : IClassFixture<PgHaSession>
{
    [Fact]
    public async Task RejoinRefusesBeforePgRewindAndTheMonitorsCloneKeepsTheOldDirectory()
    {
        await using var servers = await ReplicatedServers.StartAsync("rjt", standbyCount: 1);
        PostgresServer node1 = servers.Primary;
        PostgresServer node2 = servers.Standbys[0];
        session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -DataDirectory $args[1]",
            ReplicatedServers.NodeConninfo(node1), node1.DataDirectory).ThrowIfErrors();
        session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -DataDirectory $args[1]",
            ReplicatedServers.NodeConninfo(node2), node2.DataDirectory).ThrowIfErrors();
        await Polling.UntilAsync(async () => await node2.QueryScalarAsync("SELECT count(*) FROM pgha.nodes", "pgha") == "2", TimeSpan.FromSeconds(10));

        // node2 becomes timeline 2; node1 writes on on timeline 1, then is promoted to a timeline 2 of its own.
        await node2.PromoteAsync();
        await node1.ExecuteAsync("CREATE TABLE only_on_node1 (x int); INSERT INTO only_on_node1 VALUES (1)");
        await node1.StopAsync();
        await File.WriteAllTextAsync(Path.Combine(node1.DataDirectory, "standby.signal"), string.Empty);
        await node1.StartAsync();
        await node1.PromoteAsync();
        await node1.ExecuteAsync("INSERT INTO only_on_node1 VALUES (2)");
        await node1.KillAsync();
        session.Run("Register-PgHaNode -Role Primary -Name node2 -Conninfo $args[0] -DataDirectory $args[1] -Force",
            ReplicatedServers.NodeConninfo(node2), node2.DataDirectory).ThrowIfErrors();

        string ownHistory = await File.ReadAllTextAsync(Path.Combine(node1.DataDirectory, "pg_wal", "00000002.history"));
        string node2History = (await node2.QueryScalarAsync("SELECT pg_read_file('pg_wal/00000002.history')"))!;
        Assert.NotEqual(node2History, ownHistory); // the premise: two different timelines 2
        string[] filesBefore = Directory.GetFiles(node1.DataDirectory, "*", SearchOption.AllDirectories);

        var refused = session.Run("Invoke-PgHaRejoin -Name node1 -Conninfo $args[0] -ForceRewind -Confirm:$false", ReplicatedServers.NodeConninfo(node2));
        Assert.Contains("PgHaRejoinNeedsClone,PgHa.Cmdlets.InvokePgHaRejoinCommand", refused.ErrorIds);
        string message = refused.Errors[0].Exception.Message;
        Assert.Contains("timeline 2 was made twice", message, StringComparison.Ordinal);
        Assert.Contains("New-PgHaStandby -Name node1 -Force", message, StringComparison.Ordinal);
        Assert.Null(node1.Pid);
        Assert.Equal(filesBefore, Directory.GetFiles(node1.DataDirectory, "*", SearchOption.AllDirectories));
        Assert.Equal(ownHistory, await File.ReadAllTextAsync(Path.Combine(node1.DataDirectory, "pg_wal", "00000002.history")));

        // The monitor's way out (NodeMonitor.CloneAgainAsync): a new clone, the old directory moved aside whole.
        string kept = node1.DataDirectory + ".diverged-test";
        string ownConf = await File.ReadAllTextAsync(Path.Combine(node1.DataDirectory, "postgresql.conf"));
        var context = new OperationContext(new TestReporter(output), null, 10, CancellationToken.None);
        var request = new CloneRequest(new NodeHost("node1", node1.DataDirectory, null, null, null, null), ConnectionInfo.Parse(ReplicatedServers.NodeConninfo(node2)), "node2",
            ConnectionInfo.Parse(ReplicatedServers.NodeConninfo(node1)), null, FastCheckpoint: true, SlotName: null, Force: false, Start: true, Register: false,
            "default", 100, null, TimeSpan.FromSeconds(60), new Dictionary<string, string>(), null, KeepOldDirectoryAs: kept);
        ClonePlan plan = await StandbyClone.PlanAsync(context, request);
        Assert.DoesNotContain(plan.Checks, c => c.Status == PgHaCheckStatus.Failed);
        Assert.Contains(plan.Checks, c => c.Check == "TargetDirectory" && c.Message.Contains(kept, StringComparison.Ordinal));
        await StandbyClone.ApplyAsync(context, plan);

        Assert.Equal(ownHistory, await File.ReadAllTextAsync(Path.Combine(kept, "pg_wal", "00000002.history")));
        Assert.Equal(filesBefore.Length, Directory.GetFiles(kept, "*", SearchOption.AllDirectories).Length);
        Assert.Equal(ownConf, await File.ReadAllTextAsync(Path.Combine(node1.DataDirectory, "postgresql.conf")));
        Assert.Equal("t", await node1.QueryScalarAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal($"streaming {node2.Address}:{node2.Port}", await node1.QueryScalarAsync("SELECT status || ' ' || sender_host || ':' || sender_port FROM pg_stat_wal_receiver"));
        Assert.Equal("f", await node1.QueryScalarAsync("SELECT to_regclass('only_on_node1') IS NOT NULL")); // node2's data now, not its own branch
    }

    private sealed class TestReporter(ITestOutputHelper output) : IOperationReporter
    {
        public void Verbose(string message) => output.WriteLine("VERBOSE: " + message);

        public void Warning(string message) => output.WriteLine("WARNING: " + message);

        public void Progress(string activity, string status, int percentComplete)
        {
        }
    }
}
