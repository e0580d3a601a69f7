using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Cluster;

/// <summary>Registration and the cluster view against a real primary and two streaming standbys.</summary>
public sealed class RegisteredClusterTests : IClassFixture<RegisteredClusterFixture>
{
    private readonly RegisteredClusterFixture _cluster;
    private readonly PgHaSession _session;

    public RegisteredClusterTests(RegisteredClusterFixture cluster)
    {
        _cluster = cluster;
        _session = cluster.Session;
    }

    [Fact]
    public void FirstRegistrationRecordsEachNodeAndTheSameCallAgainChangesNothing()
    {
        Assert.Equal(["node1", "node2", "node3"], _cluster.FirstRegistrations.Select(r => (string)r.Properties["Name"].Value));
        Assert.All(_cluster.FirstRegistrations, r =>
        {
            Assert.Equal("Registered", r.Properties["Action"].Value.ToString());
            Assert.True((bool)r.Properties["Changed"].Value);
            Assert.DoesNotContain("password", (string)r.Properties["Conninfo"].Value, StringComparison.OrdinalIgnoreCase);
        });
        Assert.Equal([1, 2, 3], _cluster.FirstRegistrations.Select(r => (int)r.Properties["NodeId"].Value));
        Assert.Equal("node1", _cluster.FirstRegistrations[1].Properties["Upstream"].Value);

        Assert.All(_cluster.RepeatedRegistrations, r =>
        {
            Assert.Equal("Unchanged", r.Properties["Action"].Value.ToString());
            Assert.False((bool)r.Properties["Changed"].Value);
        });
    }

    [Fact]
    public void EventsRecordEachRegistrationOnce()
    {
        var events = _session.Run("Get-PgHaEvent -Conninfo $args[0] -Event '*_register' -Limit 0", _cluster.PrimaryConninfo).ThrowIfErrors().Output;
        Assert.Equal(["node3:standby_register", "node2:standby_register", "node1:primary_register"],
            events.Select(e => $"{e.Properties["NodeName"].Value}:{e.Properties["Event"].Value}"));
        Assert.All(events, e => Assert.True((bool)e.Properties["Successful"].Value));

        var node2Only = _session.Run("Get-PgHaNode -Conninfo $args[0] -Name node2 | Get-PgHaEvent", _cluster.PrimaryConninfo).ThrowIfErrors().Output;
        Assert.All(node2Only, e => Assert.Equal("node2", e.Properties["NodeName"].Value));
        Assert.NotEmpty(node2Only);

        var none = _session.Run("Get-PgHaEvent -Conninfo $args[0] -After ([datetime]::Now.AddHours(1))", _cluster.PrimaryConninfo).ThrowIfErrors().Output;
        Assert.Empty(none);
    }

    [Fact]
    public async Task ClusterViewShowsEveryNodeRunningAttachedAndCaughtUp()
    {
        await _cluster.Servers.Primary.ExecuteAsync("CREATE TABLE IF NOT EXISTS t (x int); INSERT INTO t VALUES (1)");
        var result = _session.Run("Get-PgHaCluster -Conninfo $args[0]", _cluster.PrimaryConninfo).ThrowIfErrors();
        dynamic cluster = result.Single().BaseObject;
        Assert.Equal("node1", (string)cluster.Primary);
        Assert.True((bool)cluster.Healthy, string.Join("\n", (string[])cluster.Warnings));
        Assert.Empty(result.Warnings);

        var nodes = ((IEnumerable<object>)cluster.Nodes).Cast<dynamic>().ToList();
        Assert.Equal(3, nodes.Count);
        dynamic primary = nodes[0];
        Assert.Equal("Running", primary.Status.ToString());
        Assert.Equal("Primary", primary.Role.ToString());
        Assert.Equal(1, (int)primary.Timeline);
        Assert.False((bool)primary.InRecovery);
        Assert.NotNull((string)primary.CurrentLsn);
        foreach (dynamic standby in nodes.Skip(1))
        {
            Assert.Equal("Running", standby.Status.ToString());
            Assert.Equal("node1", (string)standby.Upstream);
            Assert.Equal("node1", (string)standby.StreamingFrom);
            Assert.True((bool)standby.AttachedToUpstream);
            Assert.Equal("dc1", (string)standby.Location);
            Assert.Equal(1, (int)standby.Timeline);
            Assert.True((long)standby.ReplayLagBytes >= 0);
            Assert.NotNull((string)standby.ReplayLsn);
            Assert.Equal((string)primary.SystemIdentifier, (string)standby.SystemIdentifier);
        }
    }

    [Fact]
    public void DefaultViewsLookLikeRepmgrClusterShow()
    {
        string text = _session.Run("Get-PgHaCluster -Conninfo $args[0] | Out-Default", _cluster.PrimaryConninfo).ThrowIfErrors().HostText;
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID \| Name +\| Role +\| Status +\| Upstream \| Location \| Priority \| Timeline \| Connection string$", lines[0]);
        Assert.Matches(@"^1  \| node1 \| primary \| \* running \|", lines[2]);
        Assert.Matches(@"^2  \| node2 \| standby \| \* running \| node1 +\| dc1 +\| 100 +\| 1 +\| host=", lines[3]);
        Assert.Matches(@"^3  \| node3 \| standby \| \* running \| node1 +\| dc1 +\| 99 ", lines[4]);
        Assert.DoesNotContain("WARNING", text);

        string table = _session.Run("Get-PgHaNode -Conninfo $args[0] | Out-Default", _cluster.PrimaryConninfo).ThrowIfErrors().HostText;
        Assert.Matches(@"ID Name +Role +Status +Upstream +Location +Priority Timeline +Lag\(B\) Connection string", table);
        Assert.Matches(@"\s+2 node2 +Standby +Running +node1 +dc1 +100 +1 +\d+ host=", table);

        string events = _session.Run("Get-PgHaEvent -Conninfo $args[0] | Out-Default", _cluster.PrimaryConninfo).ThrowIfErrors().HostText;
        Assert.Matches(@"Node ID Name +Event +OK +Timestamp +Details", events);
        Assert.Matches(@"\s+1 node1 +primary_register +True", events);
    }

    [Fact]
    public async Task StoppedStandbyShowsAsUnreachableWithAWarning()
    {
        var node3 = _cluster.Servers.Standbys[1];
        await node3.StopAsync(PostgresShutdownMode.Fast);
        try
        {
            var result = _session.Run("Get-PgHaCluster -Conninfo $args[0] -ConnectTimeout 2", _cluster.PrimaryConninfo).ThrowIfErrors();
            dynamic cluster = result.Single().BaseObject;
            var nodes = ((IEnumerable<object>)cluster.Nodes).Cast<dynamic>().ToList();
            Assert.Equal("Unreachable", nodes[2].Status.ToString());
            Assert.Null((bool?)nodes[2].InRecovery);
            Assert.NotNull((string)nodes[2].Error);
            Assert.Equal("Running", nodes[1].Status.ToString());
            Assert.False((bool)cluster.Healthy);
            Assert.Contains((string[])cluster.Warnings, w => w.StartsWith("node3: unreachable", StringComparison.Ordinal));
            Assert.Empty(result.Warnings); // in the object and its view, not written twice

            string text = _session.Run("Get-PgHaCluster -Conninfo $args[0] | Out-Default", _cluster.PrimaryConninfo).HostText;
            Assert.Matches(@"3  \| node3 \| standby \| \? unreachable \| node1", text);
            Assert.Contains("WARNING: node3: unreachable", text);
        }
        finally
        {
            await node3.StartAsync();
            await ReplicatedServers.WaitForStreamingAsync(node3);
        }
    }

    [Fact]
    public void NodesCanBePickedByNameWildcardOrId()
    {
        var byName = _session.Run("Get-PgHaNode -Conninfo $args[0] -Name node2", _cluster.PrimaryConninfo).ThrowIfErrors().Output;
        Assert.Equal("node2", Assert.Single(byName).Properties["Name"].Value);
        var byWildcard = _session.Run("Get-PgHaNode -Conninfo $args[0] -Name 'node[23]'", _cluster.PrimaryConninfo).ThrowIfErrors().Output;
        Assert.Equal(2, byWildcard.Count);
        var byId = _session.Run("Get-PgHaNode -Conninfo $args[0] -Id 3", _cluster.PrimaryConninfo).ThrowIfErrors().Output;
        Assert.Equal("node3", Assert.Single(byId).Properties["Name"].Value);
        // Any node's conninfo reaches the cluster: a standby's replicated metadata serves reads.
        var viaStandby = _session.Run("Get-PgHaNode -Conninfo $args[0]", ReplicatedServers.NodeConninfo(_cluster.Servers.Standbys[0])).ThrowIfErrors().Output;
        Assert.Equal(3, viaStandby.Count);
    }

    [Fact]
    public async Task BadInputsGiveSpecificErrorsAndWriteNothing()
    {
        string before = await _cluster.Servers.MetadataFingerprintAsync();
        string primary = _cluster.PrimaryConninfo;
        string standby = ReplicatedServers.NodeConninfo(_cluster.Servers.Standbys[0]);

        AssertError(_session.Run("Get-PgHaNode -Conninfo $args[0] -Name nosuchnode", primary), "PgHaNodeNotFound,PgHa.Cmdlets.GetPgHaNodeCommand");
        AssertError(_session.Run("Unregister-PgHaNode -Conninfo $args[0] -Name nosuchnode -Confirm:$false", primary), "PgHaNodeNotFound,PgHa.Cmdlets.UnregisterPgHaNodeCommand");
        AssertError(_session.Run("Get-PgHaCluster -Conninfo 'host=127.0.0.1 nosuchkeyword=1'"), "PgHaConninfoInvalid,PgHa.Cmdlets.GetPgHaClusterCommand");
        AssertError(_session.Run("Register-PgHaNode -Role Standby -Name nodex -Conninfo \"host='unterminated\""), "PgHaConninfoInvalid,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        AssertError(_session.Run("Register-PgHaNode -Role Primary -Name node2 -Conninfo $args[0]", standby), "PgHaRoleMismatch,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        AssertError(_session.Run("Register-PgHaNode -Role Standby -Name node1 -Conninfo $args[0]", primary), "PgHaRoleMismatch,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        AssertError(_session.Run("Register-PgHaNode -Role Standby -Name node2 -Id 9 -Conninfo $args[0] -Location dc1", standby), "PgHaNodeNameInUse,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        AssertError(_session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -Location dc9", standby), "PgHaNodeAlreadyRegistered,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        AssertError(_session.Run("Register-PgHaNode -Role Standby -Name node9 -Id 2 -Conninfo $args[0]", standby), "PgHaNodeIdInUse,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        AssertError(_session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -Location dc1 -Upstream node3", standby), "PgHaUpstreamMismatch,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        AssertError(_session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -Upstream node2", primary), "PgHaParameterNotApplicable,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        AssertError(_session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -PrimaryConninfo $args[1]", standby, primary), "PgHaParameterNotApplicable,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        // Nothing listens on this loopback address and port: refused at once.
        AssertError(_session.Run("Register-PgHaNode -Role Primary -Name nodex -Conninfo 'host=127.0.0.250 port=1 dbname=pgha' -ConnectTimeout 2"), "PgHaNodeUnreachable,PgHa.Cmdlets.RegisterPgHaNodeCommand");
        AssertError(_session.Run("Get-PgHaCluster -Conninfo 'host=127.0.0.250 port=1 dbname=pgha' -ConnectTimeout 2"), "PgHaNodeUnreachable,PgHa.Cmdlets.GetPgHaClusterCommand");
        AssertError(_session.Run("Get-PgHaCluster -Conninfo $args[0]", _cluster.Servers.Primary.ConninfoFor("postgres")), "PgHaMetadataMissing,PgHa.Cmdlets.GetPgHaClusterCommand");

        Assert.Equal(before, await _cluster.Servers.MetadataFingerprintAsync());
    }

    [Fact]
    public async Task WhatIfRegistersNothingAndForceUpdatesARecord()
    {
        string standby = ReplicatedServers.NodeConninfo(_cluster.Servers.Standbys[0]);
        string before = await _cluster.Servers.MetadataFingerprintAsync();
        var whatIf = _session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -Location dc1 -Priority 50 -Force -WhatIf", standby).ThrowIfErrors();
        Assert.Empty(whatIf.Output);
        Assert.Contains("What if: Performing the operation \"Update the standby record (node id 2)\" on target \"node2\"", whatIf.HostText);
        Assert.Equal(before, await _cluster.Servers.MetadataFingerprintAsync());

        try
        {
            var updated = _session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -Location dc1 -Priority 50 -Force", standby).ThrowIfErrors().Single();
            Assert.Equal("Updated", updated.Properties["Action"].Value.ToString());
            Assert.True((bool)updated.Properties["Changed"].Value);
            Assert.Equal("50", await _cluster.Servers.Primary.QueryScalarAsync("SELECT priority FROM pgha.nodes WHERE node_name = 'node2'", "pgha"));
        }
        finally
        {
            _session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -Location dc1 -Priority 100 -Force", standby).ThrowIfErrors();
        }
    }

    private static void AssertError(RunResult result, string fullyQualifiedErrorId)
    {
        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal(fullyQualifiedErrorId, error.FullyQualifiedErrorId);
        Assert.False(string.IsNullOrWhiteSpace(error.Exception.Message));
    }
}
