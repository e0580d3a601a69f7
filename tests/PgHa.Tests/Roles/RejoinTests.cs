using System.Management.Automation;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Roles;

/// <summary>
/// Invoke-PgHaRejoin against real servers: an old primary stopped cleanly before the promotion follows
/// the new primary directly; one that wrote on after the promotion is refused without -ForceRewind and
/// rewound with it; a node that already streams from the right upstream changes nothing, and any other
/// running node (a primary, a standby of another node) is refused. Each test builds its own servers,
/// because each ends with a different cluster.
/// </summary>
public sealed class RejoinTests : IClassFixture<PgHaSession>
{
    private readonly PgHaSession _session;

    public RejoinTests(PgHaSession session) => _session = session;

    private static T Property<T>(PSObject result, string name) => (T)result.Properties[name].Value;

    [Fact]
    public async Task CleanlyStoppedOldPrimaryFollowsTheNewPrimaryDirectlyAndARepeatedRejoinChangesNothing()
    {
        await using var servers = await ReplicatedServers.StartAsync("rjc", standbyCount: 2);
        PostgresServer oldPrimary = servers.Primary;
        PostgresServer newPrimary = servers.Standbys[0];
        PostgresServer other = servers.Standbys[1];
        RegisterBoth(servers);
        _session.Run("Register-PgHaNode -Role Standby -Name node3 -Conninfo $args[0] -DataDirectory $args[1]",
            ReplicatedServers.NodeConninfo(other), other.DataDirectory).ThrowIfErrors();

        await oldPrimary.StopAsync(PostgresShutdownMode.Fast);
        await newPrimary.PromoteAsync();
        TakeOverPrimaryRecord(newPrimary);
        string newPrimaryConninfo = ReplicatedServers.NodeConninfo(newPrimary);
        _session.Run("Invoke-PgHaFollow -Name node3 -Conninfo $args[0] -Confirm:$false", newPrimaryConninfo).ThrowIfErrors();

        var whatIf = _session.Run("Invoke-PgHaRejoin -Name node1 -Conninfo $args[0] -WhatIf -Verbose", newPrimaryConninfo).ThrowIfErrors();
        Assert.Empty(whatIf.Output);
        Assert.Contains("What if: Performing the operation \"Rejoin as a standby of node2 without a rewind (Direct)\" on target \"node1\"", whatIf.HostText);
        Assert.Contains(whatIf.Verbose, line => line.StartsWith("Decision: Direct.", StringComparison.Ordinal));
        Assert.Null(oldPrimary.Pid);

        var rejoined = _session.Run("Invoke-PgHaRejoin -Name node1 -Conninfo $args[0] -Confirm:$false -Verbose", newPrimaryConninfo).ThrowIfErrors();
        PSObject change = rejoined.Single();
        Assert.Equal("PgHa.PgHaRoleChange", change.BaseObject.GetType().FullName);
        Assert.Equal("node1", Property<string>(change, "Node"));
        Assert.Equal("Rejoin", Property<string>(change, "Action"));
        Assert.Equal("Direct", Property<string>(change, "Method"));
        Assert.Equal("Primary", change.Properties["RoleBefore"].Value.ToString());
        Assert.Equal("Standby", change.Properties["RoleAfter"].Value.ToString());
        Assert.Equal("node2", Property<string>(change, "UpstreamAfter"));
        Assert.Equal(2, Property<int?>(change, "Timeline"));
        Assert.True(Property<bool>(change, "Changed"));

        await AssertStreamsFromAsync(oldPrimary, newPrimary);
        await AssertRecordedAsStandbyOfNode2Async(newPrimary, "direct");

        await newPrimary.ExecuteAsync("CREATE TABLE rejoin_check (v integer); INSERT INTO rejoin_check VALUES (42)");
        Assert.True(await Polling.UntilAsync(async () => await QueryOrNullAsync(oldPrimary, "SELECT v FROM rejoin_check") == "42", TimeSpan.FromSeconds(30)),
            "A row written on node2 did not reach the rejoined node1.");

        // Now it runs and streams from node2, as recorded: a second rejoin finds the work done, asks nothing and writes nothing.
        string? metadataBefore = await MetadataFingerprintAsync(newPrimary);
        var again = _session.Run("Invoke-PgHaRejoin -Name node1 -Conninfo $args[0] -Verbose", newPrimaryConninfo).ThrowIfErrors();
        PSObject unchanged = again.Single();
        Assert.False(Property<bool>(unchanged, "Changed"));
        Assert.Equal("None", Property<string>(unchanged, "Method"));
        Assert.Equal("node2", Property<string>(unchanged, "UpstreamAfter"));
        Assert.Contains(again.Verbose, line => line.Contains("node1 already streams from node2 on timeline 2", StringComparison.Ordinal));
        Assert.Equal(metadataBefore, await MetadataFingerprintAsync(newPrimary));

        // node3 streams from node2 too; asked to rejoin node1 instead, it is refused (it runs: that is a follow).
        var elsewhere = _session.Run("Invoke-PgHaRejoin -Name node3 -Upstream node1 -Conninfo $args[0] -Confirm:$false", newPrimaryConninfo);
        Assert.Empty(elsewhere.Output);
        Assert.Equal("PgHaRejoinNodeRunning,PgHa.Cmdlets.InvokePgHaRejoinCommand", Assert.Single(elsewhere.Errors).FullyQualifiedErrorId);
        Assert.Contains($"streams from {newPrimary.Address}:{newPrimary.Port}", elsewhere.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Contains("not from node1", elsewhere.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Contains("Invoke-PgHaFollow -Name node3", elsewhere.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Equal(metadataBefore, await MetadataFingerprintAsync(newPrimary));
    }

    [Fact]
    public async Task DivergedOldPrimaryIsRefusedWithoutForceRewindAndRewoundWithIt()
    {
        await using var servers = await ReplicatedServers.StartAsync("rjd", standbyCount: 1);
        PostgresServer oldPrimary = servers.Primary;
        PostgresServer newPrimary = servers.Standbys[0];
        RegisterBoth(servers);

        // Promoted while the old primary still runs and takes writes (recorded so by -AllowDataLoss): the old primary diverges.
        string newPrimaryConninfo = ReplicatedServers.NodeConninfo(newPrimary);
        _session.Run("Invoke-PgHaPromote -Name node2 -Conninfo $args[0] -AllowDataLoss -Confirm:$false -WarningAction SilentlyContinue", newPrimaryConninfo).ThrowIfErrors();
        await oldPrimary.ExecuteAsync("CREATE TABLE diverged (v integer); INSERT INTO diverged SELECT generate_series(1, 1000)");

        // While it still runs as a primary it is refused, and told to stop it first.
        var running = _session.Run("Invoke-PgHaRejoin -Name node1 -Conninfo $args[0] -Confirm:$false", newPrimaryConninfo);
        Assert.Empty(running.Output);
        Assert.Equal("PgHaRejoinNodeRunning,PgHa.Cmdlets.InvokePgHaRejoinCommand", Assert.Single(running.Errors).FullyQualifiedErrorId);
        Assert.Contains("runs as a primary", running.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Contains("Stop-PgHaNode -Name node1", running.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.NotNull(oldPrimary.Pid);

        await oldPrimary.StopAsync(PostgresShutdownMode.Fast);
        string confPath = Path.Combine(oldPrimary.DataDirectory, "postgresql.auto.conf");
        string autoConfBefore = await File.ReadAllTextAsync(confPath);
        string? metadataBefore = await MetadataFingerprintAsync(newPrimary);

        var refused = _session.Run("Invoke-PgHaRejoin -Name node1 -Conninfo $args[0] -Confirm:$false", newPrimaryConninfo);
        Assert.Empty(refused.Output);
        Assert.Contains("PgHaRejoinNeedsRewind,PgHa.Cmdlets.InvokePgHaRejoinCommand", refused.ErrorIds);
        Assert.Contains("-ForceRewind", refused.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Contains("diverged", refused.Errors[0].Exception.Message, StringComparison.Ordinal);
        AssertUntouched(oldPrimary, autoConfBefore, confPath);
        Assert.Equal(metadataBefore, await MetadataFingerprintAsync(newPrimary));

        var whatIf = _session.Run("Invoke-PgHaRejoin -Name node1 -Conninfo $args[0] -ForceRewind -WhatIf", newPrimaryConninfo).ThrowIfErrors();
        Assert.Empty(whatIf.Output);
        Assert.Contains("What if: Performing the operation \"Rewind with pg_rewind from node2, then rejoin as its standby (Rewind)\" on target \"node1\"", whatIf.HostText);
        AssertUntouched(oldPrimary, autoConfBefore, confPath);
        Assert.Equal(metadataBefore, await MetadataFingerprintAsync(newPrimary));

        var rewound = _session.Run("Get-PgHaNode -Conninfo $args[0] -Name node1 | Invoke-PgHaRejoin -ForceRewind -Confirm:$false -Verbose", newPrimaryConninfo);
        Assert.True(rewound.Errors.Count == 0, string.Join("\n", rewound.Errors.Select(e => e.Exception.Message)) + "\n" + PgCtlLogTail(oldPrimary) + "\nupstream:\n" + newPrimary.LogTail());
        PSObject change = rewound.Single();
        Assert.Equal("Rewind", Property<string>(change, "Method"));
        Assert.Equal("node2", Property<string>(change, "UpstreamAfter"));
        Assert.Contains(rewound.Verbose, line => line.Contains("pg_rewind -D", StringComparison.Ordinal));

        // It started on its own address and port (its own postgresql.conf came back after pg_rewind) and streams.
        await AssertStreamsFromAsync(oldPrimary, newPrimary);
        Assert.Equal("t", await oldPrimary.QueryScalarAsync("SELECT to_regclass('diverged') IS NULL"));
        await AssertRecordedAsStandbyOfNode2Async(newPrimary, "rewind");
    }

    [Fact]
    public async Task CrashedOldPrimaryIsNeverFollowedDirectlyAndPgRewindRecoversIt()
    {
        await using var servers = await ReplicatedServers.StartAsync("rjk", standbyCount: 1);
        PostgresServer oldPrimary = servers.Primary;
        PostgresServer newPrimary = servers.Standbys[0];
        RegisterBoth(servers);

        await oldPrimary.KillAsync();
        await newPrimary.PromoteAsync();
        TakeOverPrimaryRecord(newPrimary);
        string newPrimaryConninfo = ReplicatedServers.NodeConninfo(newPrimary);

        // pg_control says "in production": its WAL may go on past the last checkpoint, so no direct follow.
        var refused = _session.Run("Invoke-PgHaRejoin -Name node1 -Conninfo $args[0] -Confirm:$false", newPrimaryConninfo);
        Assert.Contains("PgHaRejoinNeedsRewind,PgHa.Cmdlets.InvokePgHaRejoinCommand", refused.ErrorIds);
        Assert.Contains("not shut down cleanly", refused.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Null(oldPrimary.Pid);

        // pg_rewind runs the crash recovery itself (PostgreSQL 13+), then rewinds.
        var rewound = _session.Run("Invoke-PgHaRejoin -Name node1 -Conninfo $args[0] -ForceRewind -Confirm:$false", newPrimaryConninfo);
        Assert.True(rewound.Errors.Count == 0, string.Join("\n", rewound.Errors.Select(e => e.Exception.Message)) + "\n" + PgCtlLogTail(oldPrimary));
        Assert.Equal("Rewind", Property<string>(rewound.Single(), "Method"));
        await AssertStreamsFromAsync(oldPrimary, newPrimary);
        await AssertRecordedAsStandbyOfNode2Async(newPrimary, "rewind");
    }

    private void RegisterBoth(ReplicatedServers servers)
    {
        _session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -DataDirectory $args[1]",
            ReplicatedServers.NodeConninfo(servers.Primary), servers.Primary.DataDirectory).ThrowIfErrors();
        _session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -DataDirectory $args[1]",
            ReplicatedServers.NodeConninfo(servers.Standbys[0]), servers.Standbys[0].DataDirectory).ThrowIfErrors();
    }

    /// <summary>As an operator does after promoting by hand: node2 becomes the registered primary, node1 inactive.</summary>
    private void TakeOverPrimaryRecord(PostgresServer newPrimary) =>
        _session.Run("Register-PgHaNode -Role Primary -Name node2 -Conninfo $args[0] -DataDirectory $args[1] -Force",
            ReplicatedServers.NodeConninfo(newPrimary), newPrimary.DataDirectory).ThrowIfErrors();

    private static async Task AssertStreamsFromAsync(PostgresServer standby, PostgresServer upstream)
    {
        string expected = $"streaming {upstream.Address}:{upstream.Port}";
        string? seen = null;
        bool streaming = await Polling.UntilAsync(async () =>
        {
            seen = await QueryOrNullAsync(standby, "SELECT status || ' ' || sender_host || ':' || sender_port FROM pg_stat_wal_receiver");
            return seen == expected;
        }, TimeSpan.FromSeconds(30));
        Assert.True(streaming, $"{standby.Name} does not stream from {upstream.Name} (saw '{seen}').\n{PgCtlLogTail(standby)}");
        Assert.Equal("t", await standby.QueryScalarAsync("SELECT pg_is_in_recovery()"));
    }

    private static async Task AssertRecordedAsStandbyOfNode2Async(PostgresServer primary, string method)
    {
        Assert.Equal("standby/true/node2", await primary.QueryScalarAsync(
            "SELECT n.role || '/' || n.active::text || '/' || u.node_name FROM pgha.nodes n JOIN pgha.nodes u ON u.node_id = n.upstream_node_id WHERE n.node_name = 'node1'", "pgha"));
        string? details = await primary.QueryScalarAsync(
            "SELECT details FROM pgha.events WHERE event = 'node_rejoin' AND successful AND node_name = 'node1' ORDER BY event_id DESC LIMIT 1", "pgha");
        Assert.NotNull(details);
        Assert.Contains($"by {method}", details, StringComparison.Ordinal);
        Assert.Contains("timeline 2", details, StringComparison.Ordinal);
    }

    /// <summary>The log PgHa's pg_ctl start writes beside the data directory, for failure messages.</summary>
    private static string PgCtlLogTail(PostgresServer node)
    {
        string path = node.DataDirectory + ".log";
        return File.Exists(path) ? string.Join('\n', File.ReadAllLines(path).TakeLast(40)) : $"(no {path})";
    }

    private static void AssertUntouched(PostgresServer node, string autoConfBefore, string confPath)
    {
        Assert.Null(node.Pid);
        Assert.False(File.Exists(Path.Combine(node.DataDirectory, "standby.signal")));
        Assert.Equal(autoConfBefore, File.ReadAllText(confPath));
    }

    private static Task<string?> MetadataFingerprintAsync(PostgresServer primary) => primary.QueryScalarAsync(
        "SELECT (SELECT count(*) FROM pgha.nodes) || '/' || (SELECT count(*) FROM pgha.events) || '/' || " +
        "(SELECT coalesce(max(updated_at)::text, '') FROM pgha.nodes)", "pgha");

    private static async Task<string?> QueryOrNullAsync(PostgresServer server, string sql)
    {
        try
        {
            return await server.QueryScalarAsync(sql);
        }
        catch (InvalidOperationException)
        {
            return null; // Starting up, or the table has not arrived yet.
        }
    }
}
