using System.Diagnostics;
using System.Management.Automation;
using System.Text.RegularExpressions;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Checks;

/// <summary>
/// Test-PgHaNode and Test-PgHaCluster on a real cluster with its monitors: every check Ok on a healthy
/// cluster, then each fault provoked for real, seen as Warning or Critical, undone, and seen Ok again.
/// </summary>
/// <remarks>In the failover collection: a monitored cluster on a loaded machine can fail over by itself, and the hung-node test times a call.</remarks>
[Collection(FailoverCollection.Name)]
public sealed class CheckTests : IClassFixture<CheckedClusterFixture>
{
    private readonly MonitoredCluster _cluster;

    public CheckTests(CheckedClusterFixture fixture) => _cluster = fixture.Cluster;

    private string Conninfo => _cluster["node1"].Conninfo;

    private static string Plugin => Path.Combine(RepositoryPaths.Root, "examples", "check_pgha.ps1");

    /// <summary>examples/check_pgha.ps1 as a scheduler runs it: "exit code|the one line".</summary>
    private string RunPlugin(System.Collections.Hashtable parameters) =>
        (string)Assert.Single(_cluster.Session.Run("$parameters = $args[2]; $line = & $args[0] -Module $args[1] @parameters; \"$LASTEXITCODE|$line\"",
            Plugin, RepositoryPaths.ModuleManifest, parameters).ThrowIfErrors().Output).BaseObject;

    /// <summary>One PgHaCheckResult as the test reads it.</summary>
    private sealed record Row(string Node, string Check, string Status, string? Value, string Message, string? Peer)
    {
        public override string ToString() => $"{Node} {Check}{(Peer is null ? string.Empty : "->" + Peer)} {Status} ({Value}): {Message}";
    }

    private List<Row> Run(string script, params object?[] args) =>
        _cluster.Session.Run(script, args).ThrowIfErrors().Output.Select(ToRow).ToList();

    private static Row ToRow(PSObject o) => new(
        (string)o.Properties["Node"].Value, o.Properties["Check"].Value.ToString()!, o.Properties["Status"].Value.ToString()!,
        (string?)o.Properties["Value"].Value, (string)o.Properties["Message"].Value, (string?)o.Properties["Peer"].Value);

    private static Row Single(IEnumerable<Row> rows, string node, string check)
    {
        var list = rows.ToList();
        return list.SingleOrDefault(r => r.Node == node && r.Check == check && r.Peer is null)
            ?? throw new Xunit.Sdk.XunitException($"No {check} result for {node} in:\n{string.Join("\n", list)}");
    }

    /// <summary>Runs the checks until <paramref name="until"/> holds (deadline 30 s); the last rows either way.</summary>
    private async Task<List<Row>> UntilAsync(string script, Func<List<Row>, bool> until, params object?[] args)
    {
        List<Row> rows = [];
        await Polling.UntilAsync(() =>
        {
            rows = Run(script, args);
            return until(rows);
        }, TimeSpan.FromSeconds(30));
        return rows;
    }

    private static bool Is(List<Row> rows, string node, string check, string status) =>
        rows.Any(r => r.Node == node && r.Check == check && r.Peer is null && r.Status == status);

    [Fact]
    public async Task HealthyCluster_EveryCheckIsOk_AsAPesterAssertionAndFromThePipeline()
    {
        // Waited for: on a loaded machine a monitor may miss its 1 s to answer once, or a standby lag a moment.
        var rows = await UntilAsync("Test-PgHaCluster -Conninfo $args[0]", r => r.All(x => x.Status == "Ok"), Conninfo);
        Assert.True(rows.All(r => r.Status == "Ok"), "Not Ok on a healthy cluster:\n" + string.Join("\n", rows.Where(r => r.Status != "Ok")) + "\n" + _cluster.DescribeMonitors());
        Assert.Equal("SinglePrimary", rows[0].Check);
        Assert.Equal("(cluster)", rows[0].Node);
        foreach (string check in new[] { "Connection", "Role", "Upstream", "ReplicationLag", "ReplicationLagBytes", "ArchiveBacklog", "DownstreamStandbys",
            "InactiveSlots", "SlotRetainedWal", "DataDirectory", "RewindReady", "Monitor", "Timeline", "Metadata", "StandbySettings", "PreloadLibraries",
            "Extensions", "ReplicationHba", "ClockSkew", "Reachability" })
        {
            Assert.Contains(rows, r => r.Check == check);
        }
        // The matrix: every ordered pair of the three nodes.
        Assert.Equal(6, rows.Count(r => r.Check == "Reachability"));
        Assert.Matches(@"^\d+ files$", Single(rows, "node1", "ArchiveBacklog").Value);

        // The help's Pester line, as a script: nothing that is not Ok.
        Assert.Empty(_cluster.Session.Run("Test-PgHaCluster -Conninfo $args[0] | Where-Object Status -ne Ok", Conninfo).ThrowIfErrors().Output);

        // Get-PgHaNode | Test-PgHaNode: repmgr node check's list and the monitor, for each piped node.
        var piped = Run("Get-PgHaNode -Conninfo $args[0] -Name node2, node3 | Test-PgHaNode", Conninfo);
        Assert.Equal(["node2", "node3"], piped.Select(r => r.Node).Distinct().Order());
        Assert.DoesNotContain(piped, r => r.Check is "Timeline" or "Reachability" or "StandbySettings");
        Assert.Equal("node1", Single(piped, "node2", "Upstream").Value);

        // The Nagios/Icinga plugin: OK, exit 0, with performance data.
        Assert.Matches(@"^0\|PGHA OK - \d+ checks ok \| .*'node2 ReplicationLag'=[0-9.]+s;300;600 ", RunPlugin(new() { ["Conninfo"] = Conninfo }));

        var quiet = _cluster.Session.Run("Test-PgHaNode -Conninfo $args[0] -Quiet", Conninfo).ThrowIfErrors().Output;
        Assert.True((bool)Assert.Single(quiet).BaseObject);

        // The table view an operator scans.
        string view = _cluster.Session.Run("Test-PgHaCluster -Conninfo $args[0] -Check SinglePrimary, Reachability | Out-Default", Conninfo).ThrowIfErrors().HostText;
        Assert.Matches(@"(?m)^Node\s+Check\s+Status\s+Value\s+Message\s*$", view);
        Assert.Matches(@"(?m)^\(cluster\)\s+SinglePrimary\s+Ok\s+node1\s+node1 is the one node", view);
        Assert.Matches(@"(?m)^node1\s+Reachability -> node2\s+Ok\s+reachable\s", view);
    }

    [Fact]
    public async Task ReplayPaused_LagGoesWarning_AndOkOnceResumed()
    {
        const string script = "Test-PgHaNode -Conninfo $args[0] -Name node2 -Check ReplicationLag, ReplicationLagBytes -LagWarning 1 -LagWarningBytes 1MB";
        var standby = _cluster["node2"].Server;
        await standby.ExecuteAsync("SELECT pg_wal_replay_pause()");
        try
        {
            await _cluster["node1"].Server.ExecuteAsync("CREATE TABLE IF NOT EXISTS chk_lag (x int); INSERT INTO chk_lag SELECT generate_series(1, 100000)");
            var lagging = await UntilAsync(script, rows => Is(rows, "node2", "ReplicationLag", "Warning") && Is(rows, "node2", "ReplicationLagBytes", "Warning"), Conninfo);
            Row bytes = Single(lagging, "node2", "ReplicationLagBytes");
            Assert.True(bytes.Status == "Warning", string.Join("\n", lagging));
            Assert.Matches(@"^\d+\.\d MB$", bytes.Value);
            Assert.Equal("Warning", Single(lagging, "node2", "ReplicationLag").Status);
            Assert.Contains("pg_wal_replay_resume()", Single(lagging, "node2", "ReplicationLag").Message);
        }
        finally
        {
            await standby.ExecuteAsync("SELECT pg_wal_replay_resume()");
        }
        var caughtUp = await UntilAsync(script, rows => rows.All(r => r.Status == "Ok"), Conninfo);
        Assert.True(caughtUp.All(r => r.Status == "Ok"), string.Join("\n", caughtUp));
    }

    [Fact]
    public async Task FailingArchiveCommand_BacklogGoesWarning_AndDrainsWhenFixed()
    {
        const string script = "Test-PgHaNode -Conninfo $args[0] -Name node1 -Check ArchiveBacklog -ArchiveReadyWarning 1 -ArchiveReadyCritical 50";
        var primary = _cluster["node1"].Server;
        await primary.ExecuteAsync("ALTER SYSTEM SET archive_command = '/bin/false'");
        await primary.ExecuteAsync("SELECT pg_reload_conf()");
        try
        {
            for (int i = 0; i < 3; i++)
            {
                await primary.ExecuteAsync("CREATE TABLE IF NOT EXISTS chk_archive (x int); INSERT INTO chk_archive VALUES (1)");
                await primary.ExecuteAsync("SELECT pg_switch_wal()");
            }
            var backlog = await UntilAsync(script, rows => Is(rows, "node1", "ArchiveBacklog", "Warning"), Conninfo);
            Row row = Single(backlog, "node1", "ArchiveBacklog");
            Assert.True(row.Status == "Warning", row.ToString());
            Assert.Matches(@"^[2-9] files$", row.Value);
            Assert.Contains("archive_command has failed", row.Message);
        }
        finally
        {
            await primary.ExecuteAsync("ALTER SYSTEM RESET archive_command");
            await primary.ExecuteAsync("SELECT pg_reload_conf()");
        }
        var drained = await UntilAsync(script, rows => Is(rows, "node1", "ArchiveBacklog", "Ok"), Conninfo);
        Assert.True(Is(drained, "node1", "ArchiveBacklog", "Ok"), string.Join("\n", drained));
    }

    [Fact]
    public async Task InactiveSlotHoldingWal_IsCritical_AndOkOnceDropped()
    {
        const string script = "Test-PgHaNode -Conninfo $args[0] -Name node1 -Check InactiveSlots, SlotRetainedWal -SlotWalWarningBytes 1MB";
        var primary = _cluster["node1"].Server;
        await primary.ExecuteAsync("SELECT pg_create_physical_replication_slot('chk_held', true)");
        try
        {
            await primary.ExecuteAsync("CREATE TABLE IF NOT EXISTS chk_slot (x int); INSERT INTO chk_slot SELECT generate_series(1, 100000)");
            var held = Run(script, Conninfo);
            Row inactive = Single(held, "node1", "InactiveSlots");
            Assert.Equal("Critical", inactive.Status);
            Assert.Equal("1 of 1", inactive.Value);
            Assert.Contains("chk_held", inactive.Message);
            Row retained = Single(held, "node1", "SlotRetainedWal");
            Assert.Equal("Warning", retained.Status);
            Assert.Contains("chk_held", retained.Message);
        }
        finally
        {
            await primary.ExecuteAsync("SELECT pg_drop_replication_slot('chk_held')");
        }
        var dropped = Run(script, Conninfo);
        Assert.True(dropped.All(r => r.Status == "Ok"), string.Join("\n", dropped));
    }

    [Fact]
    public async Task StoppedMonitor_AndStandbyOnTheWrongUpstream_AreReported_ThenOk()
    {
        const string script = "Test-PgHaCluster -Conninfo $args[0] -Check Monitor, Upstream, DownstreamStandbys";
        var standby = _cluster["node3"].Server;
        string original = await standby.QueryScalarAsync("SHOW primary_conninfo") ?? throw new InvalidOperationException("node3 has no primary_conninfo");
        // The monitor of node3 would make it follow the primary again within seconds: stopped first.
        await _cluster.MonitorOf("node3").StopAsync();
        try
        {
            var stopped = Run(script, Conninfo);
            Row monitor = Single(stopped, "node3", "Monitor");
            Assert.Equal("Warning", monitor.Status);
            Assert.Equal("not running", monitor.Value);
            Assert.Contains("Start-PgHaMonitor", monitor.Message);
            Assert.Equal("Ok", Single(stopped, "node2", "Monitor").Status);

            var node2 = _cluster["node2"].Server;
            await SetPrimaryConninfoAsync(standby, $"host={node2.Address} port={node2.Port} user=postgres application_name=node3");
            // Critical with "not streaming" comes first, while node3's WAL receiver moves over: wait for it to stream from node2.
            var wrong = await UntilAsync(script, rows => rows.Any(r => r is { Node: "node3", Check: "Upstream", Status: "Critical", Value: "node2" })
                && Is(rows, "node1", "DownstreamStandbys", "Critical"), Conninfo);
            Row upstream = Single(wrong, "node3", "Upstream");
            Assert.True(upstream.Status == "Critical", string.Join("\n", wrong));
            Assert.Equal("node2", upstream.Value);
            Assert.Contains("Invoke-PgHaFollow", upstream.Message);
            Row downstream = Single(wrong, "node1", "DownstreamStandbys");
            Assert.Equal("Critical", downstream.Status);
            Assert.Equal("1 of 2", downstream.Value);
            Assert.StartsWith("node3 is registered with node1 as upstream but not attached", downstream.Message);
        }
        finally
        {
            await SetPrimaryConninfoAsync(standby, original);
            if (!_cluster.MonitorOf("node3").HasExited)
            {
                await _cluster.MonitorOf("node3").StopAsync();
            }
            MonitorProcess restarted = _cluster.RestartMonitor("node3");
            bool answering = await Polling.UntilAsync(() => _cluster.Session.Run("Get-PgHaMonitor -Conninfo $args[0] -Name node3 | Where-Object { $_.Running -and $_.LastCheck }",
                Conninfo).Output.Count == 1, TimeSpan.FromSeconds(60));
            Assert.True(answering, "The restarted monitor of node3 did not answer within 60 s.\n" + restarted.Describe());
        }
        var back = await UntilAsync(script, rows => rows.All(r => r.Status == "Ok"), Conninfo);
        Assert.True(back.All(r => r.Status == "Ok"), string.Join("\n", back));
    }

    private static async Task SetPrimaryConninfoAsync(PostgresServer standby, string conninfo)
    {
        await standby.ExecuteAsync($"ALTER SYSTEM SET primary_conninfo = '{conninfo.Replace("'", "''")}'");
        await standby.ExecuteAsync("SELECT pg_reload_conf()");
    }

    [Fact]
    public async Task SettingLoweredOnAStandby_IsCriticalBeforeTheRestart_ThenOk()
    {
        const string script = "Test-PgHaCluster -Conninfo $args[0] -Check StandbySettings";
        var standby = _cluster["node3"].Server;
        await standby.ExecuteAsync("ALTER SYSTEM SET max_connections = 50");
        await standby.ExecuteAsync("SELECT pg_reload_conf()");
        try
        {
            var lowered = await UntilAsync(script, rows => Is(rows, "node3", "StandbySettings", "Critical"), Conninfo);
            Row row = Single(lowered, "node3", "StandbySettings");
            Assert.True(row.Status == "Critical", string.Join("\n", lowered));
            Assert.Equal("max_connections 50 after restart < 100", row.Value);
            Assert.Equal("Ok", Single(lowered, "node2", "StandbySettings").Status);
        }
        finally
        {
            await standby.ExecuteAsync("ALTER SYSTEM RESET max_connections");
            await standby.ExecuteAsync("SELECT pg_reload_conf()");
        }
        var back = await UntilAsync(script, rows => rows.All(r => r.Status == "Ok"), Conninfo);
        Assert.True(back.All(r => r.Status == "Ok"), string.Join("\n", back));
    }

    [Fact]
    public async Task ExtensionWhoseFilesAreGone_IsReportedOnEveryDataNode_ThenOk()
    {
        // All test servers share one installation, so files cannot be missing on one node only: the
        // extension is installed from files made for the test, in a database other than the metadata's,
        // and its files are then taken away from every node.
        const string script = "Test-PgHaCluster -Conninfo $args[0] -Check Extensions";
        var primary = _cluster["node1"].Server;
        string name = "pgha_chk_" + Guid.NewGuid().ToString("N")[..8];
        var sharedir = await FixtureCommand.RunCheckedAsync(Path.Combine(PostgresServer.BinDirectory, "pg_config"), ["--sharedir"]);
        string directory = Path.Combine(sharedir.StandardOutput.Trim(), "extension");
        string control = Path.Combine(directory, name + ".control"), sql = Path.Combine(directory, name + "--1.0.sql");
        try
        {
            File.WriteAllText(control, "default_version = '1.0'\nrelocatable = true\n");
            File.WriteAllText(sql, "-- made by the PgHa check tests\n");
            await primary.ExecuteAsync($"CREATE EXTENSION {name}");
            Assert.All(Run(script, Conninfo), r => Assert.Equal("Ok", r.Status));

            File.Delete(control);
            File.Delete(sql);
            var missing = Run(script, Conninfo);
            Assert.Equal(["node1", "node2", "node3"], missing.Select(r => r.Node).Order());
            Assert.All(missing, r =>
            {
                Assert.Equal("Warning", r.Status);
                Assert.Contains($"{name} 1.0 (postgres)", r.Message);
            });
        }
        finally
        {
            File.WriteAllText(control, "default_version = '1.0'\nrelocatable = true\n");
            File.WriteAllText(sql, "-- made by the PgHa check tests\n");
            await primary.ExecuteAsync($"DROP EXTENSION IF EXISTS {name}");
            File.Delete(control);
            File.Delete(sql);
        }
        var back = await UntilAsync(script, rows => rows.All(r => r.Status == "Ok"), Conninfo);
        Assert.True(back.All(r => r.Status == "Ok"), string.Join("\n", back));
    }

    [Fact]
    public async Task HungNode_IsCriticalAndUnknown_AndTheCallReturnsAfterOneConnectTimeout()
    {
        var node3 = _cluster["node3"].Server;
        int pid = node3.Pid ?? throw new InvalidOperationException("node3 does not run");
        // A stopped postmaster still completes TCP handshakes (the kernel does) but never answers: what a
        // hung host looks like to a client, and the case where only a timeout ends the wait.
        await SignalAsync(pid, "STOP");
        List<Row> rows;
        var clock = Stopwatch.StartNew();
        try
        {
            rows = Run("Test-PgHaCluster -Conninfo $args[0] -ConnectTimeout 2", Conninfo);
            clock.Stop();
            string plugin = RunPlugin(new() { ["Conninfo"] = Conninfo, ["Node"] = "node3", ["ConnectTimeout"] = 2 });
            Assert.StartsWith("2|PGHA CRITICAL - 1 critical, ", plugin);
            Assert.Contains(": node3 Connection unreachable; ", plugin);
        }
        finally
        {
            await SignalAsync(pid, "CONT");
        }
        Assert.Equal("Critical", Single(rows, "node3", "Connection").Status);
        Assert.StartsWith("node3 does not answer: Cannot connect to 'host=", Single(rows, "node3", "Connection").Message);
        Assert.Equal("Unknown", Single(rows, "node3", "Role").Status);
        Assert.Equal("Ok", rows[0].Status); // SinglePrimary: node1 still takes writes.
        Assert.Equal("Critical", rows.Single(r => r.Node == "node1" && r.Peer == "node3").Status);
        Assert.Equal("Ok", rows.Single(r => r.Node == "node1" && r.Peer == "node2").Status);
        // Twenty checks a node: one connect timeout each would take 40 s. All nodes, the monitors and the
        // matrix are asked at once, so the call costs about one timeout (2 s; Npgsql's own limit is 3 s).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Test-PgHaCluster took {clock.Elapsed.TotalSeconds:0.0} s with one hung node.");

        var back = await UntilAsync("Test-PgHaNode -Conninfo $args[0] -Name node3 -Check Connection, Role", r => r.All(x => x.Status == "Ok"), Conninfo);
        Assert.True(back.All(r => r.Status == "Ok"), string.Join("\n", back));
    }

    private static async Task SignalAsync(int pid, string signal)
    {
        var result = await FixtureCommand.RunAsync("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"kill -{signal} {pid}: {result.Describe()}");
        }
    }
}
