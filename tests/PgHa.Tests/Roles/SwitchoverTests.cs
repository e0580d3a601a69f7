using System.Collections.Concurrent;
using System.Management.Automation;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Roles;

/// <summary>Invoke-PgHaSwitchover on a real three-node cluster: there and back under writes, refusals, and two at once.</summary>
public sealed class SwitchoverTests : IClassFixture<PgHaSession>, IAsyncLifetime
{
    private readonly PgHaSession _session;
    private ReplicatedServers _servers = null!;

    public SwitchoverTests(PgHaSession session) => _session = session;

    private IEnumerable<PostgresServer> All => _servers.All;

    private PostgresServer Node(string name) => All.Single(s => s.Name == "sw" + name[^1..]);

    public async Task InitializeAsync()
    {
        _servers = await ReplicatedServers.StartAsync("sw", standbyCount: 2);
        int i = 1;
        foreach (var server in All)
        {
            string role = i == 1 ? "Primary" : "Standby";
            _session.Run($"Register-PgHaNode -Role {role} -Name node{i} -Conninfo $args[0] -DataDirectory $args[1]",
                ReplicatedServers.NodeConninfo(server), server.DataDirectory).ThrowIfErrors();
            i++;
        }
        await _servers.Primary.ExecuteAsync("CREATE TABLE acked (id int PRIMARY KEY)", "pgha");
    }

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    private string AnyConninfo => string.Join(",", All.Select(ReplicatedServers.NodeConninfo));

    private (string Primary, string Candidate) PrimaryAndCandidate()
    {
        dynamic cluster = Cluster();
        string primary = (string)cluster.Primary;
        return (primary, ((IEnumerable<object>)cluster.Nodes).Cast<dynamic>().Select(n => (string)n.Name).First(n => n != primary));
    }

    /// <summary>After a switchover that failed before the promotion: nothing was promoted, the primary takes writes, and the failure is an event.</summary>
    private async Task AssertStillThePrimaryAsync(string primary, string candidate, int probeId, string eventDetails)
    {
        Assert.Equal("t", await Node(candidate).QueryScalarAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal("f", await Node(primary).QueryScalarAsync("SELECT pg_is_in_recovery()"));
        await Node(primary).ExecuteAsync($"INSERT INTO acked VALUES ({probeId})", "pgha");
        string? failed = await Node(primary).QueryScalarAsync(
            "SELECT successful::text || ' ' || details FROM pgha.events WHERE event = 'standby_switchover' ORDER BY event_id DESC LIMIT 1", "pgha");
        Assert.NotNull(failed);
        Assert.StartsWith("false ", failed, StringComparison.Ordinal);
        Assert.Contains(eventDetails, failed, StringComparison.Ordinal);
    }

    /// <summary>Whether a signal is pending for the process (delivered but not handled: it is stopped), from /proc.</summary>
    private static bool HasPendingSignal(int pid, int signal)
    {
        ulong mask = 1UL << (signal - 1);
        return File.ReadLines($"/proc/{pid}/status")
            .Where(line => line.StartsWith("ShdPnd:", StringComparison.Ordinal) || line.StartsWith("SigPnd:", StringComparison.Ordinal))
            .Any(line => (ulong.Parse(line[7..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & mask) != 0);
    }

    private dynamic Cluster() =>
        _session.Run("Get-PgHaCluster -Conninfo $args[0]", (object)All.Select(ReplicatedServers.NodeConninfo).ToArray()).ThrowIfErrors().Single().BaseObject;

    [Fact]
    public async Task SwitchesOverAndBackWithoutLosingAnAcknowledgedWrite()
    {
        string start = (string)Cluster().Primary;
        string target = start == "node1" ? "node2" : "node1";

        // A writer that inserts every few milliseconds into whichever node takes writes, keeping the ids the server acknowledged.
        var acknowledged = new ConcurrentBag<int>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            int next = 1;
            while (!stop.IsCancellationRequested)
            {
                foreach (var server in All)
                {
                    var insert = await FixtureCommand.RunAsPostgresAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
                        ["-X", "-q", "-d", ReplicatedServers.NodeConninfo(server), "-c", $"INSERT INTO acked VALUES ({next})"]);
                    if (insert.Succeeded)
                    {
                        acknowledged.Add(next++);
                        break;
                    }
                }
            }
        });
        Assert.True(await Polling.UntilAsync(() => acknowledged.Count >= 5, TimeSpan.FromSeconds(30)));

        var there = _session.Run("Get-PgHaNode -Conninfo $args[0] -Name $args[1] | Invoke-PgHaSwitchover -Confirm:$false", AnyConninfo.Split(','), target).ThrowIfErrors();
        dynamic result = there.Single().BaseObject;
        Assert.True((bool)result.Changed);
        Assert.Equal(start, (string)result.OldPrimary);
        Assert.Equal(target, (string)result.NewPrimary);
        Assert.NotNull((string)result.HandedOverLsn);
        Assert.Contains(start, (string[])result.Following);
        Assert.Equal(2, ((string[])result.Following).Length);
        Assert.True((TimeSpan)result.WriteUnavailable < (TimeSpan)result.Duration);
        Assert.Equal("Direct", (string)result.OldPrimaryRejoin);

        // The format views, as a console shows them: the result as a list, its steps as a table.
        string shown = _session.Run("$args[0] | Out-Default", there.Single()).ThrowIfErrors().HostText;
        Assert.Contains("OldPrimary", shown);
        Assert.Contains("HandedOverLsn", shown);
        Assert.Contains("WriteUnavailable(s)", shown);
        Assert.Contains("Following", shown);
        Assert.Matches(@"NewPrimary\s+: " + target, shown);
        Assert.Matches(@"Duration\(s\)\s+: \d+\.\d{3}", shown);
        string steps = _session.Run("$args[0].Steps | Out-Default", there.Single()).ThrowIfErrors().HostText;
        Assert.Matches(@"Name\s+Duration\(s\)", steps);
        Assert.Matches(@"promote " + target + @"\s+\d+\.\d{3}", steps);

        Assert.True(await Polling.UntilAsync(() => acknowledged.Count >= 20, TimeSpan.FromSeconds(30)));
        stop.Cancel();
        await writer;

        dynamic after = Cluster();
        Assert.Equal(target, (string)after.Primary);
        Assert.True((bool)after.Healthy, string.Join("\n", (string[])after.Warnings));
        // Every write a server acknowledged, before and after the switch, is on the new primary.
        string count = (await Node(target).QueryScalarAsync($"SELECT count(*) FROM acked WHERE id IN ({string.Join(",", acknowledged)})", "pgha"))!;
        Assert.Equal(acknowledged.Count.ToString(), count);

        // -ForceRewind allows pg_rewind should the old primary need it; after a clean handover it never does.
        var back = _session.Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -ForceRewind -Confirm:$false -Verbose", start, AnyConninfo.Split(',')).ThrowIfErrors();
        Assert.Equal(start, (string)((dynamic)back.Single().BaseObject).NewPrimary);
        Assert.Equal("Direct", (string)((dynamic)back.Single().BaseObject).OldPrimaryRejoin);
        Assert.DoesNotContain(back.Verbose, line => line.Contains("pg_rewind -D", StringComparison.Ordinal));
        dynamic again = Cluster();
        Assert.Equal(start, (string)again.Primary);
        Assert.True((bool)again.Healthy, string.Join("\n", (string[])again.Warnings) + "\nwarnings of the switchover back:\n" + string.Join("\n", back.Warnings)
            + "\n" + string.Join("\n", back.Verbose) + "\n" + string.Join("\n", All.Select(s => s.Name + ":\n" + s.LogTail(15))));

        var events = _session.Run("Get-PgHaEvent -Conninfo $args[0] -Event standby_switchover -Successful $true", AnyConninfo.Split(',')).ThrowIfErrors().Output;
        Assert.True(events.Count >= 2);
    }

    [Fact]
    public void SwitchingToThePrimaryChangesNothing()
    {
        string primary = (string)Cluster().Primary;
        dynamic result = _session.Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -Confirm:$false", primary, AnyConninfo.Split(',')).ThrowIfErrors().Single().BaseObject;
        Assert.False((bool)result.Changed);
        Assert.Equal(primary, (string)result.NewPrimary);
    }

    [Fact]
    public async Task ACandidateThatCannotCatchUpIsNotPromotedAndThePrimaryTakesWritesAgain()
    {
        dynamic cluster = Cluster();
        string primary = (string)cluster.Primary;
        string candidate = ((IEnumerable<object>)cluster.Nodes).Cast<dynamic>().Select(n => (string)n.Name).First(n => n != primary);
        await Node(candidate).ExecuteAsync("SELECT pg_wal_replay_pause()");
        try
        {
            var result = _session.Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -Wait 3 -Confirm:$false", candidate, AnyConninfo.Split(','));
            Assert.Equal("PgHaSwitchoverCandidateBehind,PgHa.Cmdlets.InvokePgHaSwitchoverCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
            Assert.Equal("t", await Node(candidate).QueryScalarAsync("SELECT pg_is_in_recovery()"));
            await Node(primary).ExecuteAsync("INSERT INTO acked VALUES (-1)", "pgha");
        }
        finally
        {
            await Node(candidate).ExecuteAsync("SELECT pg_wal_replay_resume()");
        }
        Assert.True(await Polling.UntilAsync(() => (bool)Cluster().Healthy, TimeSpan.FromSeconds(30)));
        Assert.Equal(primary, (string)Cluster().Primary);
    }

    [Fact]
    public async Task AnOldPrimaryThatCannotBeStoppedStaysThePrimaryAndTakesWrites()
    {
        var (primary, candidate) = PrimaryAndCandidate();
        PostgresServer primaryServer = Node(primary);
        // Fault injection on the real program path: the primary's registered bindir holds a pg_ctl that
        // refuses "stop" (as a broken or wrongly owned installation would) and hands everything else to the real one.
        string binDir = await TestDirectories.CreateAsync("swbin", owner: null);
        foreach (string program in Directory.GetFiles(PostgresServer.BinDirectory).Where(p => Path.GetFileName(p) != "pg_ctl"))
        {
            File.CreateSymbolicLink(Path.Combine(binDir, Path.GetFileName(program)), program);
        }
        string wrapper = Path.Combine(binDir, "pg_ctl");
        await File.WriteAllTextAsync(wrapper,
            "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = stop ] && { echo 'pg_ctl: stop refused by the test fault injection' >&2; exit 1; }; done\n" +
            $"exec {PostgresServer.BinDirectory}/pg_ctl \"$@\"\n");
        await FixtureCommand.RunCheckedAsync("chmod", ["755", wrapper]);
        _session.Run("Register-PgHaNode -Role Primary -Name $args[0] -Conninfo $args[1] -DataDirectory $args[2] -PgBinDir $args[3] -Force",
            primary, ReplicatedServers.NodeConninfo(primaryServer), primaryServer.DataDirectory, binDir).ThrowIfErrors();
        try
        {
            var result = _session.Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -Wait 5 -Confirm:$false", candidate, AnyConninfo.Split(','));
            var error = Assert.Single(result.Errors);
            Assert.Equal("PgHaSwitchoverStopFailed,PgHa.Cmdlets.InvokePgHaSwitchoverCommand", error.FullyQualifiedErrorId);
            Assert.Contains("stop refused by the test fault injection", error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains($"{primary} still runs as the primary", error.Exception.Message, StringComparison.Ordinal);
            await AssertStillThePrimaryAsync(primary, candidate, -2, "could not be stopped");

            // The role-change lock went with the failed attempt: a second one gets past it and fails at the stop again.
            var again = _session.Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -Wait 5 -Confirm:$false", candidate, AnyConninfo.Split(','));
            Assert.Equal("PgHaSwitchoverStopFailed,PgHa.Cmdlets.InvokePgHaSwitchoverCommand", Assert.Single(again.Errors).FullyQualifiedErrorId);
        }
        finally
        {
            _session.Run("Register-PgHaNode -Role Primary -Name $args[0] -Conninfo $args[1] -DataDirectory $args[2] -Force",
                primary, ReplicatedServers.NodeConninfo(primaryServer), primaryServer.DataDirectory).ThrowIfErrors();
            TestDirectories.Delete(binDir);
        }
        Assert.True(await Polling.UntilAsync(() => (bool)Cluster().Healthy, TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// The new primary is recorded before the old primary rejoins, and a rejoin that fails leaves the switchover
    /// done, the metadata right and an error record. Fault injection on the real program path: the old primary's
    /// registered bindir holds a pg_ctl that, asked to start the server, first writes down what the metadata on
    /// the new primary says at that moment, then refuses (as a port taken by another program would make it fail).
    /// </summary>
    [Fact]
    public async Task AnOldPrimaryThatCannotRejoin_TheNewPrimaryWasRecordedFirst_ErrorRecordAndMetadataRight()
    {
        var (primary, candidate) = PrimaryAndCandidate();
        PostgresServer primaryServer = Node(primary);
        PostgresServer candidateServer = Node(candidate);
        long termBefore = long.Parse((await primaryServer.QueryScalarAsync("SELECT term FROM pgha.cluster_state", "pgha"))!, System.Globalization.CultureInfo.InvariantCulture);
        string binDir = await TestDirectories.CreateAsync("swrj", owner: "postgres");
        foreach (string program in Directory.GetFiles(PostgresServer.BinDirectory).Where(p => Path.GetFileName(p) != "pg_ctl"))
        {
            File.CreateSymbolicLink(Path.Combine(binDir, Path.GetFileName(program)), program);
        }
        string seenFile = Path.Combine(binDir, "metadata-at-start");
        string refuseFile = Path.Combine(binDir, "refuse-start");
        await File.WriteAllTextAsync(refuseFile, "");
        string metadataQuery = "SELECT n.node_name || ' ' || s.term || ' ' || (SELECT string_agg(node_name || ':' || role || ':' || active, ',' ORDER BY node_name) FROM pgha.nodes) " +
            "FROM pgha.cluster_state s JOIN pgha.nodes n ON n.node_id = s.term_primary_node_id";
        string wrapper = Path.Combine(binDir, "pg_ctl");
        await File.WriteAllTextAsync(wrapper,
            "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = start ]; then\n" +
            $"    {PostgresServer.BinDirectory}/psql -X -At -d '{ReplicatedServers.NodeConninfo(candidateServer)}' -c \"{metadataQuery}\" >> '{seenFile}' 2>&1\n" +
            $"    [ -e '{refuseFile}' ] && {{ echo 'pg_ctl: start refused by the test fault injection' >&2; exit 1; }}\n  fi\ndone\n" +
            $"exec {PostgresServer.BinDirectory}/pg_ctl \"$@\"\n");
        await FixtureCommand.RunCheckedAsync("chmod", ["755", wrapper]);
        _session.Run("Register-PgHaNode -Role Primary -Name $args[0] -Conninfo $args[1] -DataDirectory $args[2] -PgBinDir $args[3] -Force",
            primary, ReplicatedServers.NodeConninfo(primaryServer), primaryServer.DataDirectory, binDir).ThrowIfErrors();
        try
        {
            var result = _session.Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -Wait 10 -Confirm:$false", candidate, AnyConninfo.Split(','));

            // When the old primary's rejoin came to start it, the new primary's record and its term were already committed.
            string seen = File.Exists(seenFile) ? (await File.ReadAllTextAsync(seenFile)).Trim() : "(the rejoin never started the old primary)";
            Assert.StartsWith($"{candidate} {termBefore + 1} ", seen, StringComparison.Ordinal);
            Assert.Contains($"{candidate}:primary:true", seen, StringComparison.Ordinal);
            Assert.Contains($"{primary}:standby:false", seen, StringComparison.Ordinal);

            // The switchover happened and says so; the old primary left behind is an error record of its own.
            dynamic switched = Assert.Single(result.Output).BaseObject;
            Assert.Equal(candidate, (string)switched.NewPrimary);
            Assert.Equal("Failed", (string)switched.OldPrimaryRejoin);
            Assert.DoesNotContain(primary, (string[])switched.Following);
            var error = Assert.Single(result.Errors);
            Assert.Equal("PgHaSwitchoverRejoinFailed,PgHa.Cmdlets.InvokePgHaSwitchoverCommand", error.FullyQualifiedErrorId);
            Assert.Equal(primary, error.TargetObject);
            Assert.Contains("start refused by the test fault injection", error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains($"{candidate} is the primary", error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains($"Invoke-PgHaRejoin -Name {primary}", error.Exception.Message, StringComparison.Ordinal);

            // The metadata: the new primary active in the new term, the old one an inactive standby of it, both events.
            Assert.Equal($"{candidate} {termBefore + 1}", await candidateServer.QueryScalarAsync(
                "SELECT n.node_name || ' ' || s.term FROM pgha.cluster_state s JOIN pgha.nodes n ON n.node_id = s.term_primary_node_id", "pgha"));
            Assert.Equal($"standby false {candidate}", await candidateServer.QueryScalarAsync(
                $"SELECT n.role || ' ' || n.active || ' ' || u.node_name FROM pgha.nodes n JOIN pgha.nodes u ON u.node_id = n.upstream_node_id WHERE n.node_name = '{primary}'", "pgha"));
            Assert.Equal("true false", await candidateServer.QueryScalarAsync(
                "SELECT (SELECT successful::text FROM pgha.events WHERE event = 'standby_switchover' ORDER BY event_id DESC LIMIT 1) || ' ' || " +
                "(SELECT successful::text FROM pgha.events WHERE event = 'node_rejoin' ORDER BY event_id DESC LIMIT 1)", "pgha"));
            Assert.Equal("f", await candidateServer.QueryScalarAsync("SELECT pg_is_in_recovery()"));

            // What the error says to do finishes the job.
            File.Delete(refuseFile);
            _session.Run("Invoke-PgHaRejoin -Name $args[0] -Conninfo $args[1] -Confirm:$false", primary, AnyConninfo.Split(',')).ThrowIfErrors();
        }
        finally
        {
            File.Delete(refuseFile);
            if (primaryServer.Pid is null)
            {
                _session.Run("Invoke-PgHaRejoin -Name $args[0] -Conninfo $args[1] -Confirm:$false", primary, AnyConninfo.Split(','));
            }
            _session.Run("Register-PgHaNode -Role Standby -Name $args[0] -Conninfo $args[1] -DataDirectory $args[2] -Force",
                primary, ReplicatedServers.NodeConninfo(primaryServer), primaryServer.DataDirectory);
            TestDirectories.Delete(binDir);
        }
        Assert.True(await Polling.UntilAsync(() => (bool)Cluster().Healthy, TimeSpan.FromSeconds(30)), string.Join("\n", (string[])Cluster().Warnings));
        Assert.Equal(candidate, (string)Cluster().Primary);
    }

    [Fact]
    public async Task AShutdownHeldPastTheDeadlineIsWaitedForAndTheOldPrimaryStartedAgain()
    {
        var (primary, candidate) = PrimaryAndCandidate();
        PostgresServer primaryServer = Node(primary);
        PostgresServer candidateServer = Node(candidate);
        // The walsender feeding the candidate, frozen. A shutdown first waits for every walsender to reach its
        // stopping state (WalSndWaitStopping, before the shutdown checkpoint), so the old primary cannot go
        // down: what a standby that hangs on the network does to a real one.
        int walsender = int.Parse((await primaryServer.QueryScalarAsync(
            $"SELECT pid FROM pg_stat_replication WHERE application_name IN ('{candidateServer.Name}', '{candidate}')"))!, System.Globalization.CultureInfo.InvariantCulture);
        await FixtureCommand.RunCheckedAsync("kill", ["-STOP", walsender.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var resumed = Task.Run(async () =>
        {
            // The shutdown asks it to stop with SIGUSR1 (PROCSIG_WALSND_INIT_STOPPING), left pending while it is frozen;
            // it is let go 7.5 s later: after the 5 s deadline, inside the second 5 s the switchover waits.
            bool reached = await Polling.UntilAsync(() => HasPendingSignal(walsender, signal: 10), TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(7.5));
            await FixtureCommand.RunCheckedAsync("kill", ["-CONT", walsender.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            return reached;
        });
        RunResult result;
        try
        {
            result = _session.Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -Wait 5 -Confirm:$false", candidate, AnyConninfo.Split(','));
        }
        finally
        {
            await FixtureCommand.RunAsync("kill", ["-CONT", walsender.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        Assert.True(await resumed, "the shutdown never signalled the frozen walsender");
        var error = Assert.Single(result.Errors);
        Assert.Equal("PgHaSwitchoverStopFailed,PgHa.Cmdlets.InvokePgHaSwitchoverCommand", error.FullyQualifiedErrorId);
        Assert.Contains($"{primary} was started again and is the primary", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains(result.Warnings, w => w.Contains("did not stop in time", StringComparison.Ordinal));
        await AssertStillThePrimaryAsync(primary, candidate, -3, "could not be stopped");

        // Nothing was left holding the role-change lock: the next switchover goes through.
        Assert.True(await Polling.UntilAsync(() => (bool)Cluster().Healthy, TimeSpan.FromSeconds(30)));
        dynamic next = _session.Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -Confirm:$false", candidate, AnyConninfo.Split(',')).ThrowIfErrors().Single().BaseObject;
        Assert.Equal(candidate, (string)next.NewPrimary);
        Assert.True(await Polling.UntilAsync(() => (bool)Cluster().Healthy, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task TwoSwitchoversAtOnceNeverInterleave()
    {
        dynamic cluster = Cluster();
        string primary = (string)cluster.Primary;
        string[] candidates = ((IEnumerable<object>)cluster.Nodes).Cast<dynamic>().Select(n => (string)n.Name).Where(n => n != primary).ToArray();

        using var other = new PgHaSession();
        var sessions = new[] { _session, other };
        var results = new RunResult[2];
        string[] entry = AnyConninfo.Split(',');
        await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(() => results[i] = sessions[i].Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -Confirm:$false", candidates[i], entry))));

        Assert.Equal(1, results.Count(r => r.Errors.Count == 0));
        var refused = results.Single(r => r.Errors.Count > 0);
        Assert.StartsWith("PgHa", refused.Errors[0].FullyQualifiedErrorId);
        Assert.True(await Polling.UntilAsync(() => (bool)Cluster().Healthy, TimeSpan.FromSeconds(30)),
            "the cluster is not healthy after the concurrent switchovers: " + string.Join("; ", results.SelectMany(r => r.ErrorIds)));
    }
}
