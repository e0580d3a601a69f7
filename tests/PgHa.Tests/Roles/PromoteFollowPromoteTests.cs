using System.Management.Automation;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Roles;

/// <summary>
/// Invoke-PgHaPromote against real servers: refused while the primary runs, then (primary stopped) node2
/// promoted with -SiblingsFollow, node3 following it, and a repeat changing nothing. One test, because
/// each step needs the state the one before left.
/// </summary>
public sealed class PromoteFollowPromoteTests : IClassFixture<PromoteFixture>
{
    private const string Promote = "PgHa.Cmdlets.InvokePgHaPromoteCommand";
    private readonly PromoteFixture _fixture;

    public PromoteFollowPromoteTests(PromoteFixture fixture) => _fixture = fixture;

    private PgHaSession Session => _fixture.Session;

    private static T Property<T>(PSObject result, string name) => (T)result.Properties[name].Value;

    [Fact]
    public async Task PromoteIsRefusedWhileThePrimaryRunsThenPromotesWithSiblingsAndIsIdempotent()
    {
        var servers = _fixture.Servers;
        PostgresServer node1 = servers.Primary, node2 = servers.Standbys[0], node3 = servers.Standbys[1];
        string before = await servers.MetadataFingerprintAsync();

        var refused = Session.Run("Invoke-PgHaPromote -Conninfo $args[0] -Name node2 -SiblingsFollow -Confirm:$false", (object)_fixture.Conninfos);
        Assert.Equal(["PgHaPrimaryStillRunning," + Promote], refused.ErrorIds);
        Assert.Contains("Invoke-PgHaSwitchover", refused.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Empty(refused.Output);
        Assert.Equal("t", await node2.QueryScalarAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal(before, await servers.MetadataFingerprintAsync());

        // -WhatIf after the primary is gone: the checks pass, nothing changes.
        await node1.StopAsync();
        var whatIf = Session.Run("Invoke-PgHaPromote -Conninfo $args[0] -Name node2 -SiblingsFollow -WhatIf", (object)_fixture.Conninfos).ThrowIfErrors();
        Assert.Empty(whatIf.Output);
        Assert.Contains("Promote standby to primary in place of node1", whatIf.HostText, StringComparison.Ordinal);
        Assert.Equal("t", await node2.QueryScalarAsync("SELECT pg_is_in_recovery()"));

        var promoted = Session.Run("Invoke-PgHaPromote -Conninfo $args[0] -Name node2 -SiblingsFollow -Confirm:$false -Wait 60 -Verbose", (object)_fixture.Conninfos).ThrowIfErrors();
        Assert.Equal(2, promoted.Output.Count);
        PSObject promotion = promoted.Output[0];
        Assert.Equal("node2", Property<string>(promotion, "Node"));
        Assert.Equal("Promote", Property<string>(promotion, "Action"));
        Assert.Equal("Primary", promotion.Properties["RoleAfter"].Value.ToString());
        Assert.Equal("node1", Property<string>(promotion, "UpstreamBefore"));
        Assert.Equal(2, Property<int?>(promotion, "Timeline"));
        Assert.True(Property<bool>(promotion, "Changed"));
        PSObject follow = promoted.Output[1];
        Assert.Equal("node3", Property<string>(follow, "Node"));
        Assert.Equal("Follow", Property<string>(follow, "Action"));
        Assert.Equal("node2", Property<string>(follow, "UpstreamAfter"));
        Assert.True(Property<bool>(follow, "Changed"));

        Assert.Equal("f", await node2.QueryScalarAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal("streaming", await node3.QueryScalarAsync("SELECT status FROM pg_stat_wal_receiver"));
        Assert.Equal(node2.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            await node3.QueryScalarAsync("SELECT sender_port FROM pg_stat_wal_receiver"));
        Assert.Equal("node1:primary:false,node2:primary:true,node3:standby:true:2",
            await node2.QueryScalarAsync(
                "SELECT string_agg(node_name || ':' || role || ':' || active || coalesce(':' || upstream_node_id, ''), ',' ORDER BY node_id) FROM pgha.nodes", "pgha"));
        string events = await node2.QueryScalarAsync(
            "SELECT string_agg(node_name || ':' || event || ':' || successful, ',' ORDER BY event_id) FROM pgha.events WHERE event IN ('standby_promote', 'standby_follow')", "pgha") ?? string.Empty;
        Assert.Equal("node2:standby_promote:true,node3:standby_follow:true", events);

        var node3Seen = Session.Run("Get-PgHaNode -Conninfo $args[0] -Name node3", ReplicatedServers.NodeConninfo(node2)).ThrowIfErrors().Single();
        Assert.Equal(true, Property<bool?>(node3Seen, "AttachedToUpstream"));

        // A row written on the new primary reaches the sibling that followed it.
        await node2.ExecuteAsync("CREATE TABLE after_promote (id int); INSERT INTO after_promote VALUES (42)");
        Assert.True(await Polling.UntilAsync(async () =>
        {
            try
            {
                return await node3.QueryScalarAsync("SELECT id FROM after_promote") == "42";
            }
            catch (InvalidOperationException)
            {
                return false; // The table has not been replayed yet.
            }
        }, TimeSpan.FromSeconds(30)), "the row written on node2 did not reach node3");

        PSObject again = Session.Run("Invoke-PgHaPromote -Conninfo $args[0] -Name node2 -SiblingsFollow -Confirm:$false", ReplicatedServers.NodeConninfo(node2))
            .ThrowIfErrors().Single();
        Assert.False(Property<bool>(again, "Changed"));
        Assert.Equal("Primary", again.Properties["RoleBefore"].Value.ToString());

        // Its upstream gone, node3 has no WAL receiver: the node view still shows the timeline of its WAL (2),
        // not its pg_control's, which stays 1 until its next restartpoint.
        await node2.StopAsync();
        PSObject alone = Session.Run("Get-PgHaNode -Conninfo $args[0] -Name node3", ReplicatedServers.NodeConninfo(node3)).ThrowIfErrors().Single();
        Assert.Null(Property<string?>(alone, "StreamingFrom"));
        Assert.Equal(2, Property<int?>(alone, "Timeline"));
    }
}
