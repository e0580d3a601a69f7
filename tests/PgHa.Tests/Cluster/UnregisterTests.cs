using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Cluster;

/// <summary>Unregistering standbys and registering a witness, on servers of their own.</summary>
public sealed class UnregisterTests : IClassFixture<PgHaSession>, IAsyncLifetime
{
    private readonly PgHaSession _session;
    private ReplicatedServers _servers = null!;
    private PostgresServer _witness = null!;

    public UnregisterTests(PgHaSession session) => _session = session;

    public async Task InitializeAsync()
    {
        _servers = await ReplicatedServers.StartAsync("unreg", standbyCount: 2);
        _witness = await PostgresServer.InitPrimaryAsync("unregw");
        _session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0]", ReplicatedServers.NodeConninfo(_servers.Primary)).ThrowIfErrors();
        _session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0]", ReplicatedServers.NodeConninfo(_servers.Standbys[0])).ThrowIfErrors();
        _session.Run("Register-PgHaNode -Role Standby -Name node3 -Conninfo $args[0]", ReplicatedServers.NodeConninfo(_servers.Standbys[1])).ThrowIfErrors();
    }

    public async Task DisposeAsync()
    {
        await _witness.DisposeAsync();
        await _servers.DisposeAsync();
    }

    private string Primary => ReplicatedServers.NodeConninfo(_servers.Primary);

    [Fact]
    public async Task StreamingStandbyNeedsForceAndAStoppedOneGoesQuietly()
    {
        string before = await _servers.MetadataFingerprintAsync();
        var refused = _session.Run("Unregister-PgHaNode -Conninfo $args[0] -Name node2 -Confirm:$false", Primary);
        Assert.Equal("PgHaNodeStillActive,PgHa.Cmdlets.UnregisterPgHaNodeCommand", Assert.Single(refused.Errors).FullyQualifiedErrorId);
        var primaryRefused = _session.Run("Unregister-PgHaNode -Conninfo $args[0] -Name node1 -Confirm:$false", Primary);
        Assert.Equal("PgHaNodeStillActive,PgHa.Cmdlets.UnregisterPgHaNodeCommand", Assert.Single(primaryRefused.Errors).FullyQualifiedErrorId);
        var whatIf = _session.Run("Unregister-PgHaNode -Conninfo $args[0] -Name node2 -Force -WhatIf", Primary).ThrowIfErrors();
        Assert.Contains("What if: Performing the operation \"Unregister standby node (id 2)\" on target \"node2\"", whatIf.HostText);
        Assert.Equal(before, await _servers.MetadataFingerprintAsync());

        await _servers.Standbys[1].StopAsync(PostgresShutdownMode.Fast);
        var removed = _session.Run("Get-PgHaNode -Conninfo $args[0] -Name node3 | Unregister-PgHaNode -Confirm:$false -PassThru", Primary).ThrowIfErrors().Single();
        Assert.Equal("Unregistered", removed.Properties["Action"].Value.ToString());
        Assert.True((bool)removed.Properties["Changed"].Value);
        Assert.Equal("0", await _servers.Primary.QueryScalarAsync("SELECT count(*) FROM pgha.nodes WHERE node_name = 'node3'", "pgha"));
        var unregisterEvent = _session.Run("Get-PgHaEvent -Conninfo $args[0] -Event standby_unregister", Primary).ThrowIfErrors().Single();
        Assert.Equal("node3", unregisterEvent.Properties["NodeName"].Value);

        var forced = _session.Run("Unregister-PgHaNode -Conninfo $args[0] -Id 2 -Force -Confirm:$false -PassThru", Primary).ThrowIfErrors().Single();
        Assert.Equal("node2", forced.Properties["Name"].Value);
        var remaining = _session.Run("Get-PgHaNode -Conninfo $args[0]", Primary).ThrowIfErrors().Output;
        Assert.Equal(["node1"], remaining.Select(n => (string)n.Properties["Name"].Value).Where(n => n.StartsWith("node", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task WitnessIsASeparateServerWithItsOwnCopyOfTheNodes()
    {
        string witness = ReplicatedServers.NodeConninfo(_witness);
        var missing = _session.Run("Register-PgHaNode -Role Witness -Name witness -Conninfo $args[0]", witness);
        Assert.Equal("PgHaPrimaryConninfoRequired,PgHa.Cmdlets.RegisterPgHaNodeCommand", Assert.Single(missing.Errors).FullyQualifiedErrorId);
        var inCluster = _session.Run("Register-PgHaNode -Role Witness -Name witness -Conninfo $args[0] -PrimaryConninfo $args[1]",
            ReplicatedServers.NodeConninfo(_servers.Primary), Primary);
        Assert.Equal("PgHaWitnessInCluster,PgHa.Cmdlets.RegisterPgHaNodeCommand", Assert.Single(inCluster.Errors).FullyQualifiedErrorId);

        var registered = _session.Run("Register-PgHaNode -Role Witness -Name witness -Id 10 -Conninfo $args[0] -PrimaryConninfo $args[1]", witness, Primary).ThrowIfErrors().Single();
        Assert.Equal("Registered", registered.Properties["Action"].Value.ToString());
        Assert.Equal("witness", await _servers.Primary.QueryScalarAsync("SELECT role FROM pgha.nodes WHERE node_id = 10", "pgha"));
        Assert.Equal("node1", await _witness.QueryScalarAsync("SELECT node_name FROM pgha.nodes WHERE role = 'primary'", "pgha"));
        Assert.Equal("witness", await _witness.QueryScalarAsync("SELECT node_name FROM pgha.nodes WHERE node_id = 10", "pgha"));

        // Registering again changes nothing, but a witness copy that fell behind is refreshed.
        var again = _session.Run("Register-PgHaNode -Role Witness -Name witness -Id 10 -Conninfo $args[0] -PrimaryConninfo $args[1]", witness, Primary).ThrowIfErrors().Single();
        Assert.False((bool)again.Properties["Changed"].Value);
        await _witness.ExecuteAsync("DELETE FROM pgha.nodes WHERE role = 'standby'", "pgha");
        var refreshed = _session.Run("Register-PgHaNode -Role Witness -Name witness -Id 10 -Conninfo $args[0] -PrimaryConninfo $args[1]", witness, Primary).ThrowIfErrors().Single();
        Assert.Equal("Unchanged", refreshed.Properties["Action"].Value.ToString());
        Assert.True((bool)refreshed.Properties["Changed"].Value);
        Assert.Equal(await _servers.Primary.QueryScalarAsync("SELECT count(*) FROM pgha.nodes", "pgha"), await _witness.QueryScalarAsync("SELECT count(*) FROM pgha.nodes", "pgha"));

        var witnessNode = _session.Run("Get-PgHaNode -Conninfo $args[0] -Name witness", Primary).ThrowIfErrors().Single();
        Assert.Equal("Running", witnessNode.Properties["Status"].Value.ToString());
        Assert.Equal("Witness", witnessNode.Properties["Role"].Value.ToString());
    }
}
