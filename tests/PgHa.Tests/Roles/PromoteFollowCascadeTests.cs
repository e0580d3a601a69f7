using System.Management.Automation;
using PgHa.Tests.Cluster;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Roles;

/// <summary>Invoke-PgHaFollow against real servers: a standby cascades from another standby and comes back.</summary>
public sealed class PromoteFollowCascadeTests : IClassFixture<FollowFixture>
{
    private readonly FollowFixture _fixture;

    public PromoteFollowCascadeTests(FollowFixture fixture) => _fixture = fixture;

    private PgHaSession Session => _fixture.Session;

    private static T Property<T>(PSObject result, string name) => (T)result.Properties[name].Value;

    [Fact]
    public async Task FollowsAStandbyAndComesBackToThePrimaryEachTimeOnce()
    {
        var node2 = _fixture.Servers.Standbys[0];
        var node3 = _fixture.Servers.Standbys[1];
        string[] conninfos = _fixture.Conninfos;

        PSObject cascade = Session.Run("Get-PgHaNode -Conninfo $args[0] -Name node3 | Invoke-PgHaFollow -Upstream node2 -Confirm:$false", (object)conninfos)
            .ThrowIfErrors().Single();
        Assert.True(Property<bool>(cascade, "Changed"));
        Assert.Equal("node1", Property<string>(cascade, "UpstreamBefore"));
        Assert.Equal("node2", Property<string>(cascade, "UpstreamAfter"));
        Assert.Equal(node2.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), await node3.QueryScalarAsync("SELECT sender_port FROM pg_stat_wal_receiver"));

        PSObject repeated = Session.Run("Invoke-PgHaFollow -Conninfo $args[0] -Name node3 -Upstream node2 -Confirm:$false", (object)conninfos).ThrowIfErrors().Single();
        Assert.False(Property<bool>(repeated, "Changed"));

        // The table view: one line per node with the columns an operator scans first.
        string table = Session.Run("Invoke-PgHaFollow -Conninfo $args[0] -Name node3 -Upstream node2 -Confirm:$false | Out-Default", (object)conninfos).ThrowIfErrors().HostText;
        Assert.Contains("Node         Action   RoleBefore RoleAfter UpstreamBefore UpstreamAfter Timeline Method Changed Duration(s)", table, StringComparison.Ordinal);
        Assert.Matches(@"node3\s+Follow\s+Standby\s+Standby\s+node2\s+node2\s+1 Direct False\s+\d+\.\d", table);

        // No -Upstream: back to the registered primary.
        PSObject back = Session.Run("Invoke-PgHaFollow -Conninfo $args[0] -Name node3 -Confirm:$false", (object)conninfos).ThrowIfErrors().Single();
        Assert.True(Property<bool>(back, "Changed"));
        Assert.Equal("node2", Property<string>(back, "UpstreamBefore"));
        Assert.Equal("node1", Property<string>(back, "UpstreamAfter"));
        Assert.Equal(_fixture.Servers.Primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            await node3.QueryScalarAsync("SELECT sender_port FROM pg_stat_wal_receiver"));
        Assert.False(Property<bool>(Session.Run("Invoke-PgHaFollow -Conninfo $args[0] -Name node3 -Confirm:$false", (object)conninfos).ThrowIfErrors().Single(), "Changed"));

        Assert.Equal("standby_follow:true,standby_follow:true", await _fixture.Servers.Primary.QueryScalarAsync(
            "SELECT string_agg(event || ':' || successful, ',' ORDER BY event_id) FROM pgha.events WHERE node_name = 'node3' AND event = 'standby_follow'", "pgha"));

        var refused = Session.Run("Invoke-PgHaFollow -Conninfo $args[0] -Name node3 -Upstream node3 -Confirm:$false", (object)conninfos);
        Assert.Equal(["PgHaFollowUpstreamInvalid,PgHa.Cmdlets.InvokePgHaFollowCommand"], refused.ErrorIds);
        await ReplicatedServers.WaitForStreamingAsync(node3);
    }
}
