using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Cluster;

/// <summary>A standby promoted behind PgHa's back, and what registration then allows. Own servers: the test changes roles.</summary>
public sealed class RoleConflictTests : IClassFixture<PgHaSession>, IAsyncLifetime
{
    private readonly PgHaSession _session;
    private ReplicatedServers _servers = null!;

    public RoleConflictTests(PgHaSession session) => _session = session;

    public async Task InitializeAsync() => _servers = await ReplicatedServers.StartAsync("conf", standbyCount: 1);

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task StandbyPromotedBehindPgHasBackShowsAsAConflictingPrimary()
    {
        string primary = ReplicatedServers.NodeConninfo(_servers.Primary);
        string standby = ReplicatedServers.NodeConninfo(_servers.Standbys[0]);
        _session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0]", primary).ThrowIfErrors();
        _session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0]", standby).ThrowIfErrors();
        // The standby's copy of the metadata must hold node2's record before it is promoted behind PgHa's back
        // (on a loaded machine replay lagged, node2's copy had no node2, and the -Force below registered it anew).
        bool replayed = await Polling.UntilAsync(async () =>
            await _servers.Standbys[0].QueryScalarAsync("SELECT count(*) FROM pgha.nodes WHERE node_name = 'node2'", "pgha") == "1", TimeSpan.FromSeconds(30));
        Assert.True(replayed, "node2's registration did not reach node2's copy of the metadata within 30 s.");

        await _servers.Standbys[0].PromoteAsync();

        var result = _session.Run("Get-PgHaCluster -Conninfo $args[0]", primary).ThrowIfErrors();
        dynamic cluster = result.Single().BaseObject;
        var nodes = ((IEnumerable<object>)cluster.Nodes).Cast<dynamic>().ToList();
        Assert.Equal("Running", nodes[0].Status.ToString());
        Assert.Equal("RunningAsPrimary", nodes[1].Status.ToString());
        Assert.False((bool)nodes[1].InRecovery);
        Assert.Equal(2, (int)nodes[1].Timeline);
        Assert.False((bool)cluster.Healthy);
        Assert.Contains((string[])cluster.Warnings, w => w.Contains("split brain", StringComparison.Ordinal) && w.Contains("node1, node2", StringComparison.Ordinal));
        Assert.Contains((string[])cluster.Warnings, w => w.StartsWith("node2: registered as a standby but running as a primary", StringComparison.Ordinal));
        Assert.Contains((string[])cluster.Warnings, w => w.StartsWith("node2: on timeline 2 while the primary is on timeline 1", StringComparison.Ordinal));
        string text = _session.Run("Get-PgHaCluster -Conninfo $args[0] | Out-Default", primary).HostText;
        Assert.Matches(@"2  \| node2 \| standby \| ! running as primary \| node1", text);

        // Both still run as primaries: taking the record over is refused even with -Force.
        string before = await _servers.MetadataFingerprintAsync();
        var refused = _session.Run("Register-PgHaNode -Role Primary -Name node2 -Conninfo $args[0] -Force", standby);
        Assert.Equal("PgHaPrimaryConflict,PgHa.Cmdlets.RegisterPgHaNodeCommand", Assert.Single(refused.Errors).FullyQualifiedErrorId);
        Assert.Equal(before, await _servers.MetadataFingerprintAsync());

        // Once the old primary is down, -Force makes node2 the registered primary and node1 inactive.
        await _servers.Primary.StopAsync(PostgresShutdownMode.Fast);
        var taken = _session.Run("Register-PgHaNode -Role Primary -Name node2 -Conninfo $args[0] -Force", standby).ThrowIfErrors().Single();
        Assert.Equal("Updated", taken.Properties["Action"].Value.ToString());
        var after = _session.Run("Get-PgHaCluster -Conninfo $args[0]", standby).ThrowIfErrors();
        dynamic cluster2 = after.Single().BaseObject;
        Assert.Equal("node2", (string)cluster2.Primary);
        var nodes2 = ((IEnumerable<object>)cluster2.Nodes).Cast<dynamic>().ToList();
        Assert.False((bool)nodes2[0].Active);
        Assert.Equal("Unreachable", nodes2[0].Status.ToString());
        var events = _session.Run("Get-PgHaEvent -Conninfo $args[0] -Limit 2", standby).ThrowIfErrors().Output;
        Assert.Equal(["primary_register", "primary_deactivate"], events.Select(e => (string)e.Properties["Event"].Value));
    }
}
