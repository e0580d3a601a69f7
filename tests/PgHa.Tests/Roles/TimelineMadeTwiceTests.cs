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
    public async Task FromTwoSwitchPoints_RejoinRefusesBeforePgRewindAndNewPgHaStandbyForceMayReplaceIt()
    {
        await using var servers = await ReplicatedServers.StartAsync("rjt", standbyCount: 1);
        PostgresServer node1 = servers.Primary;
        PostgresServer node2 = servers.Standbys[0];
        await RegisterAsync(node1, node2);

        // node2 becomes timeline 2; node1 writes on on timeline 1, then is promoted to a timeline 2 of its own.
        await node2.PromoteAsync();
        await node1.ExecuteAsync("CREATE TABLE only_on_node1 (x int); INSERT INTO only_on_node1 VALUES (1)");
        await node1.StopAsync();
        await File.WriteAllTextAsync(Path.Combine(node1.DataDirectory, "standby.signal"), string.Empty);
        await node1.StartAsync();
        await node1.PromoteAsync();
        await node1.ExecuteAsync("INSERT INTO only_on_node1 VALUES (2)");
        await node1.KillAsync();
        TakeOverPrimaryRecord(node2);

        string ownHistory = await File.ReadAllTextAsync(Path.Combine(node1.DataDirectory, "pg_wal", "00000002.history"));
        Assert.NotEqual(await node2.QueryScalarAsync("SELECT pg_read_file('pg_wal/00000002.history')"), ownHistory); // the premise: two histories of timeline 2
        string[] filesBefore = Files(node1);

        AssertRefusedAsMadeTwice("node1", node1, node2, "timeline 2 was made twice");
        Assert.Equal(filesBefore, Files(node1));

        // The way out the message names: New-PgHaStandby -Force does not take node1's directory for the
        // current primary's (its history of timeline 2 is not node2's), although its pg_control may say so.
        var dryRun = session.Run("Get-PgHaNode -Conninfo $args[0] -Name node2 | New-PgHaStandby -Name node1 -DataDirectory $args[1] -Conninfo $args[2] -Force -WhatIf -Verbose",
            ReplicatedServers.NodeConninfo(node2), node1.DataDirectory, ReplicatedServers.NodeConninfo(node1));
        Assert.True(dryRun.Errors.Count == 0, string.Join("\n", dryRun.Errors.Select(e => e.Exception.Message).Concat(dryRun.Verbose)));
        var targetCheck = dryRun.Output.Single(o => (string)o.Properties["Check"].Value == "TargetDirectory");
        Assert.Equal("Warning", targetCheck.Properties["Status"].Value.ToString());
        Assert.Equal(filesBefore, Files(node1));
    }

    [Fact]
    public async Task FromOneSwitchPoint_RejoinTellsTheTimelinesByTheirFirstBytesAndTheMonitorsCloneKeepsTheOldDirectory()
    {
        // HangingHookThenNewPrimaryCutOff as it happens: both standbys had all of the old primary's WAL, so both
        // promotions left timeline 1 at the same point and wrote identical history files.
        await using var servers = await ReplicatedServers.StartAsync("rjs", standbyCount: 2);
        PostgresServer old = servers.Primary, cutOff = servers.Standbys[0], next = servers.Standbys[1];
        await RegisterAsync(old, cutOff, next);
        await old.ExecuteAsync("CREATE TABLE before_the_fault (x int); INSERT INTO before_the_fault VALUES (1)");
        string end = (await old.QueryScalarAsync("SELECT pg_current_wal_lsn()"))!;
        await old.StopAsync(); // a fast stop sends the shutdown checkpoint to both standbys
        foreach (var standby in new[] { cutOff, next })
        {
            Assert.True(await Polling.UntilAsync(async () => await standby.QueryScalarAsync($"SELECT pg_last_wal_replay_lsn() > '{end}'::pg_lsn") == "t", TimeSpan.FromSeconds(20)));
        }
        await cutOff.PromoteAsync();
        await cutOff.ExecuteAsync("CREATE TABLE only_on_the_cut_off_node (x int); INSERT INTO only_on_the_cut_off_node VALUES (1)");
        await next.PromoteAsync();
        await next.ExecuteAsync("INSERT INTO before_the_fault VALUES (2)");
        await cutOff.KillAsync();
        TakeOverPrimaryRecord(next, "node3");
        string ownHistory = await File.ReadAllTextAsync(Path.Combine(cutOff.DataDirectory, "pg_wal", "00000002.history"));
        Assert.Equal((await next.QueryScalarAsync("SELECT pg_read_file('pg_wal/00000002.history')"))?.Trim(), ownHistory.Trim()); // the premise: one history, two timelines
        string[] filesBefore = Files(cutOff);

        AssertRefusedAsMadeTwice("node2", cutOff, next, "the first bytes of timeline 2 differ");
        Assert.Equal(filesBefore, Files(cutOff));

        // The monitor's way out (NodeMonitor.CloneAgainAsync): a new clone, the old directory moved aside whole.
        string kept = cutOff.DataDirectory + ".diverged-test";
        string ownConf = await File.ReadAllTextAsync(Path.Combine(cutOff.DataDirectory, "postgresql.conf"));
        var context = new OperationContext(new TestReporter(output), null, 10, CancellationToken.None);
        var request = new CloneRequest(new NodeHost("node2", cutOff.DataDirectory), ConnectionInfo.Parse(ReplicatedServers.NodeConninfo(next)), "node3",
            ConnectionInfo.Parse(ReplicatedServers.NodeConninfo(cutOff)), null, FastCheckpoint: true, SlotName: null, Force: false, Start: true, Register: false,
            "default", 100, null, TimeSpan.FromSeconds(60), new Dictionary<string, string>(), null, KeepOldDirectorySuffix: ".diverged-test");
        ClonePlan plan = await StandbyClone.PlanAsync(context, request);
        Assert.DoesNotContain(plan.Checks, c => c.Status == PgHaCheckStatus.Failed);
        Assert.Contains(plan.Checks, c => c.Check == "TargetDirectory" && c.Message.Contains(kept, StringComparison.Ordinal));
        PgHaStandbyClone clone = await StandbyClone.ApplyAsync(context, plan);
        Assert.Equal(kept, clone.KeptDirectory);

        Assert.Equal(ownHistory, await File.ReadAllTextAsync(Path.Combine(kept, "pg_wal", "00000002.history")));
        Assert.Equal(filesBefore.Length, Directory.GetFiles(kept, "*", SearchOption.AllDirectories).Length);
        Assert.Equal(ownConf, await File.ReadAllTextAsync(Path.Combine(cutOff.DataDirectory, "postgresql.conf")));
        Assert.Equal("t", await cutOff.QueryScalarAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal($"streaming {next.Address}:{next.Port}", await cutOff.QueryScalarAsync("SELECT status || ' ' || sender_host || ':' || sender_port FROM pg_stat_wal_receiver"));
        Assert.Equal("f", await cutOff.QueryScalarAsync("SELECT to_regclass('only_on_the_cut_off_node') IS NOT NULL")); // the new primary's data now
        Assert.True(await Polling.UntilAsync(async () => await cutOff.QueryScalarAsync("SELECT count(*) FROM before_the_fault") == "2", TimeSpan.FromSeconds(20)));
    }

    private async Task RegisterAsync(PostgresServer primary, params PostgresServer[] standbys)
    {
        session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -DataDirectory $args[1]",
            ReplicatedServers.NodeConninfo(primary), primary.DataDirectory).ThrowIfErrors();
        for (int i = 0; i < standbys.Length; i++)
        {
            session.Run($"Register-PgHaNode -Role Standby -Name node{i + 2} -Conninfo $args[0] -DataDirectory $args[1]",
                ReplicatedServers.NodeConninfo(standbys[i]), standbys[i].DataDirectory).ThrowIfErrors();
        }
        string count = (standbys.Length + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var standby in standbys)
        {
            Assert.True(await Polling.UntilAsync(async () => await standby.QueryScalarAsync("SELECT count(*) FROM pgha.nodes", "pgha") == count, TimeSpan.FromSeconds(10)));
        }
    }

    /// <summary>As an operator does after promoting by hand: the new primary takes the primary record.</summary>
    private void TakeOverPrimaryRecord(PostgresServer newPrimary, string name = "node2") =>
        session.Run($"Register-PgHaNode -Role Primary -Name {name} -Conninfo $args[0] -DataDirectory $args[1] -Force",
            ReplicatedServers.NodeConninfo(newPrimary), newPrimary.DataDirectory).ThrowIfErrors();

    private void AssertRefusedAsMadeTwice(string name, PostgresServer node, PostgresServer newPrimary, string why)
    {
        var refused = session.Run($"Invoke-PgHaRejoin -Name {name} -Conninfo $args[0] -ForceRewind -Confirm:$false", ReplicatedServers.NodeConninfo(newPrimary));
        Assert.Contains("PgHaRejoinNeedsClone,PgHa.Cmdlets.InvokePgHaRejoinCommand", refused.ErrorIds);
        string message = refused.Errors[0].Exception.Message;
        Assert.Contains(why, message, StringComparison.Ordinal);
        Assert.Contains($"New-PgHaStandby -Name {name} -Force", message, StringComparison.Ordinal);
        Assert.Null(node.Pid);
    }

    private static string[] Files(PostgresServer server) => Directory.GetFiles(server.DataDirectory, "*", SearchOption.AllDirectories);

    private sealed class TestReporter(ITestOutputHelper output) : IOperationReporter
    {
        public void Verbose(string message) => output.WriteLine("VERBOSE: " + message);

        public void Warning(string message) => output.WriteLine("WARNING: " + message);

        public void Progress(string activity, string status, int percentComplete)
        {
        }
    }
}
