using System.Diagnostics;
using System.Management.Automation;
using System.Text.RegularExpressions;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;
using Xunit.Abstractions;

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
    private readonly ITestOutputHelper _output;

    public CheckTests(CheckedClusterFixture fixture, ITestOutputHelper output)
    {
        _cluster = fixture.Cluster;
        _output = output;
    }

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
            // The plugin: WARNING, exit 1, naming the check (no performance data: the Monitor check has no number).
            Assert.Equal("1|PGHA WARNING - 1 warning: node3 Monitor not running", RunPlugin(new() { ["Conninfo"] = Conninfo, ["Check"] = new[] { "Monitor" } }));

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
    public async Task StandbyRunFromAnotherInstallation_LackingAnExtension_WithoutRewindAndPreloadingOtherLibraries_IsReportedOnItOnly_ThenOk()
    {
        // node3 restarted from a copy of the PostgreSQL installation that lacks pgcrypto's files (an extension
        // package the other nodes have), with wal_log_hints off and pg_stat_statements preloaded: drift that
        // breaks a failover to it later, on one node only, while node1 has pgcrypto installed and available.
        const string script = "Test-PgHaCluster -Conninfo $args[0] -Check Extensions, PreloadLibraries, RewindReady";
        var primary = _cluster["node1"].Server;
        var standby = _cluster["node3"].Server;
        await using var copy = await CopiedInstallation.CreateAsync("chk-pg15");
        // The copy is a separate installation only if PostgreSQL finds its share directory from where it runs.
        Assert.Equal(copy.ShareDirectory, await copy.ReportedShareDirectoryAsync());
        string[] pgcrypto = Directory.GetFiles(copy.ExtensionDirectory, "pgcrypto*");
        Assert.NotEmpty(pgcrypto);
        foreach (string file in pgcrypto)
        {
            File.Delete(file);
        }
        await primary.ExecuteAsync("CREATE EXTENSION pgcrypto");
        await standby.ExecuteAsync("ALTER SYSTEM SET wal_log_hints = off");
        await standby.ExecuteAsync("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
        try
        {
            await standby.StopAsync();
            await copy.StartAsync(standby);
            var drift = Run(script, Conninfo);
            Row extensions = Single(drift, "node3", "Extensions");
            Assert.True(extensions.Status == "Warning", string.Join("\n", drift));
            Assert.Equal("1 missing", extensions.Value);
            Assert.Contains("pgcrypto 1.3 (postgres)", extensions.Message);
            Assert.Equal("Ok", Single(drift, "node1", "Extensions").Status);
            Assert.Equal("Ok", Single(drift, "node2", "Extensions").Status);
            Row rewind = Single(drift, "node3", "RewindReady");
            Assert.Equal(("Warning", "neither"), (rewind.Status, rewind.Value));
            Assert.Equal("Ok", Single(drift, "node1", "RewindReady").Status);
            Assert.Equal("Ok", Single(drift, "node2", "RewindReady").Status);
            Row libraries = Single(drift, "node3", "PreloadLibraries");
            Assert.Equal(("Warning", "pg_stat_statements"), (libraries.Status, libraries.Value));
            Assert.Equal("Ok", Single(drift, "node2", "PreloadLibraries").Status);

            // The fix for the extension: its package's files installed on node3 (from the installation the copy
            // was made of, at the same path without the copy's root). Found without a restart.
            foreach (string file in pgcrypto)
            {
                File.Copy(file[copy.Root.Length..], file);
            }
            Assert.Equal("Ok", Single(Run(script, Conninfo), "node3", "Extensions").Status);
        }
        finally
        {
            await primary.ExecuteAsync("DROP EXTENSION IF EXISTS pgcrypto");
            if (standby.Pid is null)
            {
                await standby.StartAsync();
            }
            await standby.ExecuteAsync("ALTER SYSTEM RESET wal_log_hints");
            await standby.ExecuteAsync("ALTER SYSTEM RESET shared_preload_libraries");
            await standby.StopAsync();
            await standby.StartAsync();
        }
        var back = await UntilAsync("Test-PgHaCluster -Conninfo $args[0] -Check Extensions, PreloadLibraries, RewindReady, Upstream", rows => rows.All(r => r.Status == "Ok"), Conninfo);
        Assert.True(back.All(r => r.Status == "Ok"), string.Join("\n", back));
    }

    [Fact]
    public async Task RegisteredDataDirectoryAndSlotThatAreNotTheRealOnes_AreCritical_AndACopyOfTheRecordsNotYetReplayedDiffers_ThenOk()
    {
        const string script = "Test-PgHaCluster -Conninfo $args[0] -Check DataDirectory, MissingSlots, Metadata";
        const string register = "Register-PgHaNode -Role Standby -Name $args[0] -Conninfo $args[1] -DataDirectory $args[2] -MonitorPort $args[3] -Priority $args[4] -Force";
        ClusterMember node2 = _cluster["node2"];
        var node3 = _cluster["node3"].Server;
        // Register-PgHaNode wants a data directory where the record names one: an old copy of node2's, say.
        string elsewhere = Path.Combine(_cluster.Directory, "node2-old-data");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, "PG_VERSION"), "15\n");
        // node3 does not replay the change meanwhile, so its copy of the records keeps node2's old record.
        await node3.ExecuteAsync("SELECT pg_wal_replay_pause()");
        try
        {
            _cluster.Session.Run(register + " -SlotName $args[5]", node2.Name, node2.Conninfo, elsewhere, node2.MonitorPort, node2.Priority, "chk_no_such_slot").ThrowIfErrors();
            // node2 replays the change within moments; node3 does not.
            var drift = await UntilAsync(script, rows => Is(rows, "node2", "Metadata", "Ok") && Is(rows, "node3", "Metadata", "Warning"), Conninfo);
            Row directory = Single(drift, "node2", "DataDirectory");
            Assert.True(directory.Status == "Critical", string.Join("\n", drift));
            Assert.Equal(node2.Server.DataDirectory, directory.Value);
            Assert.Contains($"{elsewhere} is registered", directory.Message);
            Row slots = Single(drift, "node1", "MissingSlots");
            Assert.Equal(("Critical", "1 missing"), (slots.Status, slots.Value));
            Assert.Contains("node2's slot chk_no_such_slot does not exist on node1", slots.Message);
            Row metadata = Single(drift, "node3", "Metadata");
            Assert.Equal(("Warning", "1 differ"), (metadata.Status, metadata.Value));
            Assert.Contains("differ from the primary's for node2", metadata.Message);
            Assert.Equal("Ok", Single(drift, "node3", "DataDirectory").Status);
        }
        finally
        {
            _cluster.Session.Run(register, node2.Name, node2.Conninfo, node2.Server.DataDirectory, node2.MonitorPort, node2.Priority).ThrowIfErrors();
            await node3.ExecuteAsync("SELECT pg_wal_replay_resume()");
        }
        var back = await UntilAsync(script, rows => rows.All(r => r.Status == "Ok"), Conninfo);
        Assert.True(back.All(r => r.Status == "Ok"), string.Join("\n", back));
        Assert.DoesNotContain(back, r => r.Check == "MissingSlots"); // no standby is registered with a slot again
    }

    [Fact]
    public async Task APgHbaLineRejectingReplicationFromAnotherNode_IsAWarningForThatNode_ThenOk()
    {
        const string script = "Test-PgHaCluster -Conninfo $args[0] -Check ReplicationHba";
        var node2 = _cluster["node2"].Server;
        var node3 = _cluster["node3"].Server;
        string hba = Path.Combine(node2.DataDirectory, "pg_hba.conf");
        string original = await File.ReadAllTextAsync(hba);
        // First, so it decides before the line that admits 127.0.0.0/8. Loopback clients really connect from
        // 127.0.0.1, so it refuses nobody here; the check reads it for node3's registered address, as a
        // client on node3's host would come.
        await File.WriteAllTextAsync(hba, $"host    replication  all   {node3.Address}/32   reject\n" + original);
        try
        {
            await node2.ExecuteAsync("SELECT pg_reload_conf()");
            var rows = Run(script, Conninfo);
            Row row = Single(rows, "node2", "ReplicationHba");
            Assert.True(row.Status == "Warning", string.Join("\n", rows));
            Assert.Equal("1 of 2", row.Value);
            Assert.Contains($"node3 (postgres@{node3.Address}: line 1 rejects)", row.Message);
            Assert.Equal("Ok", Single(rows, "node1", "ReplicationHba").Status);
            Assert.Equal("Ok", Single(rows, "node3", "ReplicationHba").Status);
        }
        finally
        {
            await File.WriteAllTextAsync(hba, original);
            await node2.ExecuteAsync("SELECT pg_reload_conf()");
        }
        var back = Run(script, Conninfo);
        Assert.True(back.All(r => r.Status == "Ok"), string.Join("\n", back));
    }

    [Fact]
    public async Task HungNode_IsCriticalAndUnknownForItsRole_AndTheCallReturnsAfterOneConnectTimeout()
    {
        const int timeout = 3;
        string script = $"Test-PgHaCluster -Conninfo $args[0] -ConnectTimeout {timeout}";
        var node3 = _cluster["node3"].Server;
        int pid = node3.Pid ?? throw new InvalidOperationException("node3 does not run");
        // What the same call costs on the healthy cluster, just before (the first run may still compile code).
        Run(script, Conninfo);
        var clock = Stopwatch.StartNew();
        Run(script, Conninfo);
        TimeSpan healthy = clock.Elapsed;
        // A stopped postmaster still completes TCP handshakes (the kernel does) but never answers: what a
        // hung host looks like to a client, and the case where only a timeout ends the wait.
        await SignalAsync(pid, "STOP");
        List<Row> rows;
        TimeSpan hung;
        try
        {
            clock.Restart();
            rows = Run(script, Conninfo);
            hung = clock.Elapsed;
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
        Assert.Equal("Unknown", Single(rows, "node3", "ReplicationLag").Status);
        // Only what its registration as a standby gets: no archive, downstream or slot rows.
        Assert.DoesNotContain(rows, r => r.Node == "node3" && r.Check is "ArchiveBacklog" or "DownstreamStandbys" or "InactiveSlots" or "SlotRetainedWal" or "MissingSlots");
        Assert.Equal("Ok", rows[0].Status); // SinglePrimary: node1 still takes writes.
        Assert.Equal("Critical", rows.Single(r => r.Node == "node1" && r.Peer == "node3").Status);
        Assert.Equal("Ok", rows.Single(r => r.Node == "node1" && r.Peer == "node2").Status);
        // All nodes, the monitors and the matrix are asked at once, so the hung node adds one connect timeout
        // (3 s) to the healthy call. Half a timeout more is allowed for a loaded machine; a second timeout (the
        // parts one after another, or one per check: 20 a node) is more than that.
        _output.WriteLine($"Test-PgHaCluster -ConnectTimeout {timeout}: {healthy.TotalSeconds:0.00} s healthy, {hung.TotalSeconds:0.00} s with node3 hung.");
        Assert.True(hung < healthy + TimeSpan.FromSeconds(1.5 * timeout),
            $"Test-PgHaCluster took {hung.TotalSeconds:0.0} s with one hung node, {healthy.TotalSeconds:0.0} s without: more than one connect timeout ({timeout} s) apart.");

        var back = await UntilAsync("Test-PgHaNode -Conninfo $args[0] -Name node3 -Check Connection, Role", r => r.All(x => x.Status == "Ok"), Conninfo);
        Assert.True(back.All(r => r.Status == "Ok"), string.Join("\n", back));
    }

    [Fact]
    public async Task AQueryBlockedAfterTheLogin_EndsWithinTheConnectTimeout_NotNpgsqlsThirtySeconds()
    {
        const string script = "Test-PgHaNode -Conninfo $args[0] -Name node1 -Check Connection, Role, Extensions -ConnectTimeout 2";
        var primary = _cluster["node1"].Server;
        // A transaction that holds pg_extension: the node's session opens, and then the query that reads the
        // installed extensions waits, as on a server that hangs after the login.
        await using var locker = WireSession.OverSocket(primary.SocketDirectory, primary.Port, "postgres");
        await locker.QueryScalarAsync("BEGIN; LOCK TABLE pg_catalog.pg_extension IN ACCESS EXCLUSIVE MODE; SELECT 1", TimeSpan.FromSeconds(10));
        List<Row> rows;
        var clock = Stopwatch.StartNew();
        try
        {
            rows = Run(script, Conninfo);
            clock.Stop();
        }
        finally
        {
            await locker.QueryScalarAsync("ROLLBACK", TimeSpan.FromSeconds(10));
        }
        Row connection = Single(rows, "node1", "Connection");
        Assert.True(connection.Status == "Critical", string.Join("\n", rows));
        // pg_available_extension_versions does not wait (the planner drops its join to pg_extension when
        // 'installed' is not selected); the read of the installed extensions does.
        Assert.True(connection.Message.Contains("its session opened, but it did not answer the installed query within 2.0 s", StringComparison.Ordinal), connection.Message);
        Assert.Equal("Unknown", Single(rows, "node1", "Role").Status);
        _output.WriteLine($"Test-PgHaNode -ConnectTimeout 2 with a blocked query: {clock.Elapsed.TotalSeconds:0.00} s.");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"Test-PgHaNode took {clock.Elapsed.TotalSeconds:0.0} s with a query blocked for good.");

        var back = Run(script, Conninfo);
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
