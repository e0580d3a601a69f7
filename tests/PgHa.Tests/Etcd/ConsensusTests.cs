using System.Collections;
using System.Management.Automation;
using PgHa.Etcd;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Etcd;

/// <summary>
/// Set-PgHaConsensus and Get-PgHaCluster's Consensus through the hosted module, against real PostgreSQL servers
/// (primary, standby, witness) and a real 3-member etcd with access control on. Each test sets the pause state
/// and backend it starts from.
/// </summary>
public sealed class ConsensusTests : IClassFixture<ConsensusServers>
{
    private const string SetEtcd = "Set-PgHaConsensus -Conninfo $args[0] -Backend Etcd -EtcdEndpoint $args[1] -EtcdPrefix $args[2] -EtcdCredential $cred -Confirm:$false";

    private readonly ConsensusServers _fixture;

    public ConsensusTests(ConsensusServers fixture) => _fixture = fixture;

    private PgHaSession Session => _fixture.Session;

    private string Conninfo => _fixture.PrimaryConninfo;

    [Fact]
    public async Task WhileTheMonitorsRunTheBackendIsNotChanged()
    {
        _fixture.SetPaused(false);
        string before = await ConsensusServers.MetadataTextAsync(_fixture.Servers.Primary);

        foreach (string script in new[] { SetEtcd, "Set-PgHaConsensus -Conninfo $args[0] -Backend BuiltIn -Confirm:$false" })
        {
            RunResult refused = RunWithCredential(script, ConsensusServers.Password, Conninfo, _fixture.Cluster.Endpoints, ConsensusServers.Prefix + "running");
            ErrorRecord error = Assert.Single(refused.Errors);
            Assert.Equal("PgHaConsensusNotPaused,PgHa.Cmdlets.SetPgHaConsensusCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
            Assert.Contains("Suspend-PgHaMonitor", error.Exception.Message);
        }
        Assert.Equal(before, await ConsensusServers.MetadataTextAsync(_fixture.Servers.Primary));
    }

    [Fact]
    public async Task EtcdIsRecordedWhilePausedWithoutThePasswordShownByGetPgHaClusterAndSwitchedBack()
    {
        _fixture.SetPaused(true);
        string prefix = ConsensusServers.Prefix + "c1";
        try
        {
            RunResult set = RunWithCredential(SetEtcd + " -PassThru -Verbose", ConsensusServers.Password, Conninfo, _fixture.Cluster.Endpoints, prefix + "/");
            PSObject recorded = set.ThrowIfErrors().Single();
            Assert.Equal("Etcd", recorded.Properties["Backend"].Value.ToString());
            Assert.Equal(_fixture.Cluster.Members.Select(m => m.ClientUrl), (string[])recorded.Properties["EtcdEndpoints"].Value);
            Assert.Equal(prefix, recorded.Properties["EtcdPrefix"].Value);
            Assert.True((bool)recorded.Properties["Changed"].Value);
            Assert.DoesNotContain(set.Verbose.Concat(set.Warnings).Append(set.HostText), line => line.Contains(ConsensusServers.Password, StringComparison.Ordinal));

            // On the primary, on the standby by replication, on the witness's own copy; an event; never the password.
            const string Row = "SELECT backend || ' ' || array_to_string(etcd_endpoints, ',') || ' ' || etcd_prefix FROM pgha.consensus";
            string expected = $"etcd {_fixture.Cluster.Endpoints} {prefix}";
            Assert.Equal(expected, await _fixture.Servers.Primary.QueryScalarAsync(Row, "pgha"));
            Assert.True(await Polling.UntilAsync(async () => await _fixture.Servers.Standbys[0].QueryScalarAsync(Row, "pgha") == expected, TimeSpan.FromSeconds(10)),
                "The standby did not replay the record within 10 s.");
            Assert.Equal(expected, await _fixture.Witness.QueryScalarAsync(Row, "pgha"));
            Assert.Contains("elections decided by etcd", await _fixture.Servers.Primary.QueryScalarAsync(
                "SELECT details FROM pgha.events WHERE event = 'consensus_change' ORDER BY event_id DESC LIMIT 1", "pgha"));
            foreach (PostgresServer server in new[] { _fixture.Servers.Primary, _fixture.Witness })
            {
                string metadata = await ConsensusServers.MetadataTextAsync(server);
                Assert.Contains(prefix, metadata);
                Assert.DoesNotContain(ConsensusServers.Password, metadata);
            }

            // A monitor runs the recorded backend: without the etcd user it cannot, and it does not start.
            RunResult monitor = Session.Run("Start-PgHaMonitor -Conninfo $args[0] -Name node1 -HttpPort 0", Conninfo);
            ErrorRecord refusal = Assert.Single(monitor.Errors);
            Assert.Equal("PgHaEtcdAuthenticationFailed,PgHa.Cmdlets.StartPgHaMonitorCommand", refusal.FullyQualifiedErrorId);
            Assert.Contains("-EtcdCredential", refusal.Exception.Message);

            // The same again: nothing changes.
            PSObject again = RunWithCredential(SetEtcd + " -PassThru", ConsensusServers.Password, Conninfo, _fixture.Cluster.Endpoints, prefix).ThrowIfErrors().Single();
            Assert.False((bool)again.Properties["Changed"].Value);

            // Get-PgHaCluster reads the leader key from etcd: nobody holds it, then node1 (taken here as a monitor would).
            PSObject consensus = ReadConsensus(out RunResult empty);
            Assert.Equal("Etcd", consensus.Properties["Backend"].Value.ToString());
            Assert.Null(consensus.Properties["Leader"].Value);
            using var client = new EtcdClient(new EtcdClientSettings(EtcdClientSettings.ParseEndpoints(_fixture.Cluster.Endpoints))
            {
                UserName = ConsensusServers.User,
                Password = ConsensusServers.Password,
            });
            var store = new EtcdClusterStore(client, prefix, "cluster-cons");
            // The cluster's settings under the prefix: which cluster uses it, its nodes and endpoints; no user, no password.
            string config = (await store.ReadSettingsAsync(default))!;
            Assert.Contains((await _fixture.Servers.Primary.QueryScalarAsync("SELECT system_identifier::text FROM pg_control_system()"))!, config);
            Assert.Contains("\"node1\"", config);
            Assert.Contains(_fixture.Cluster.Members[0].ClientUrl, config);
            Assert.DoesNotContain(ConsensusServers.Password, config);
            Assert.DoesNotContain(ConsensusServers.User, config);
            EtcdLease lease = await store.GrantLeaseAsync(TimeSpan.FromSeconds(30), default);
            Assert.True((await store.TryTakeLeaderAsync("node1", lease, default)).Held);
            consensus = ReadConsensus(out RunResult held);
            Assert.Equal("node1", consensus.Properties["Leader"].Value);
            Assert.InRange((long)consensus.Properties["LeaderLeaseTtl"].Value, 1, 30);
            string view = Session.RunWith("Get-PgHaCluster -Conninfo $args[0] -EtcdCredential $cred | Out-Default",
                new Hashtable { ["cred"] = Credential(ConsensusServers.Password) }, Conninfo).ThrowIfErrors().HostText;
            Assert.Contains($"Elections: etcd {_fixture.Cluster.Endpoints} prefix {prefix}, leader node1", view);

            // Without the etcd user the cluster is still shown; etcd's refusal is a warning of the cluster.
            PSObject withoutUser = Session.Run("Get-PgHaCluster -Conninfo $args[0] -WarningAction SilentlyContinue", Conninfo).ThrowIfErrors().Single();
            Assert.Contains(((string[])withoutUser.Properties["Warnings"].Value), w => w.Contains("could not be read") && w.Contains("-EtcdCredential"));
            Assert.True(await store.RevokeLeaseAsync(lease, default));

            // Back to the built-in quorum: the etcd settings go from the metadata.
            PSObject builtIn = Session.Run("Set-PgHaConsensus -Conninfo $args[0] -Backend BuiltIn -Confirm:$false -PassThru", Conninfo).ThrowIfErrors().Single();
            Assert.Equal("BuiltIn", builtIn.Properties["Backend"].Value.ToString());
            Assert.True((bool)builtIn.Properties["Changed"].Value);
            Assert.Equal("builtin  ", await _fixture.Servers.Primary.QueryScalarAsync(
                "SELECT backend || ' ' || array_to_string(etcd_endpoints, ',') || ' ' || coalesce(etcd_prefix, '') FROM pgha.consensus", "pgha"));
            Assert.Equal("BuiltIn", ReadConsensus(out _).Properties["Backend"].Value.ToString());
        }
        finally
        {
            Session.Run("Set-PgHaConsensus -Conninfo $args[0] -Backend BuiltIn -Confirm:$false", Conninfo);
            _fixture.SetPaused(false);
        }
    }

    [Fact]
    public async Task AnEtcdThatRefusesOrDoesNotAnswerIsNotRecorded()
    {
        _fixture.SetPaused(true);
        try
        {
            string before = await ConsensusServers.MetadataTextAsync(_fixture.Servers.Primary);

            RunResult wrongPassword = RunWithCredential(SetEtcd, "wrong-Pa55", Conninfo, _fixture.Cluster.Endpoints, ConsensusServers.Prefix + "c2");
            ErrorRecord refused = Assert.Single(wrongPassword.Errors);
            Assert.Equal("PgHaEtcdAuthenticationFailed,PgHa.Cmdlets.SetPgHaConsensusCommand", refused.FullyQualifiedErrorId);
            Assert.DoesNotContain("wrong-Pa55", refused.Exception.Message);

            RunResult noRole = RunWithCredential(SetEtcd, ConsensusServers.Password, Conninfo, _fixture.Cluster.Endpoints, "/elsewhere");
            Assert.Equal("PgHaEtcdPermissionDenied,PgHa.Cmdlets.SetPgHaConsensusCommand", Assert.Single(noRole.Errors).FullyQualifiedErrorId);

            string nobody = $"http://{_fixture.Cluster.Members[0].Address}:{LoopbackAddresses.FreePort(_fixture.Cluster.Members[0].Address)}";
            RunResult unreachable = RunWithCredential(SetEtcd, ConsensusServers.Password, Conninfo, nobody, ConsensusServers.Prefix + "c3");
            Assert.Equal("PgHaEtcdUnreachable,PgHa.Cmdlets.SetPgHaConsensusCommand", Assert.Single(unreachable.Errors).FullyQualifiedErrorId);

            Assert.Equal(before, await ConsensusServers.MetadataTextAsync(_fixture.Servers.Primary));
        }
        finally
        {
            _fixture.SetPaused(false);
        }
    }

    [Fact]
    public async Task ParametersThatDoNotFitTheBackendAndWhatIfWriteNothing()
    {
        _fixture.SetPaused(true);
        try
        {
            string before = await ConsensusServers.MetadataTextAsync(_fixture.Servers.Primary);
            (string Script, string ErrorId)[] cases =
            [
                ("Set-PgHaConsensus -Conninfo $args[0] -Backend BuiltIn -EtcdEndpoint $args[1]", "PgHaConsensusInvalid"),
                ("Set-PgHaConsensus -Conninfo $args[0] -Backend Etcd", "PgHaConsensusInvalid"),
                ("Set-PgHaConsensus -Conninfo $args[0] -Backend Etcd -EtcdEndpoint 'ftp://x:1'", "PgHaEtcdInvalidSettings"),
                ("Set-PgHaConsensus -Conninfo $args[0] -Backend Etcd -EtcdEndpoint $args[1] -EtcdPrefix 'no-slash'", "PgHaEtcdInvalidSettings"),
                ("Set-PgHaConsensus -Conninfo $args[0] -Backend Etcd -EtcdEndpoint $args[1] -EtcdKeyFile /etc/pgha/k.key", "PgHaEtcdInvalidSettings"),
            ];
            foreach ((string script, string errorId) in cases)
            {
                RunResult result = Session.Run(script + " -Confirm:$false", Conninfo, _fixture.Cluster.Endpoints);
                Assert.Equal($"{errorId},PgHa.Cmdlets.SetPgHaConsensusCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
            }

            RunResult whatIf = RunWithCredential(SetEtcd.Replace("-Confirm:$false", "-WhatIf", StringComparison.Ordinal), ConsensusServers.Password,
                Conninfo, _fixture.Cluster.Endpoints, ConsensusServers.Prefix + "c4");
            Assert.Empty(whatIf.ThrowIfErrors().Output);
            Assert.Contains("What if: Performing the operation \"Let etcd decide elections:", whatIf.HostText);
            Assert.Equal(before, await ConsensusServers.MetadataTextAsync(_fixture.Servers.Primary));
        }
        finally
        {
            _fixture.SetPaused(false);
        }
    }

    private PSObject ReadConsensus(out RunResult result)
    {
        result = Session.RunWith("Get-PgHaCluster -Conninfo $args[0] -EtcdCredential $cred", new Hashtable { ["cred"] = Credential(ConsensusServers.Password) }, Conninfo).ThrowIfErrors();
        return PSObject.AsPSObject(result.Single().Properties["Consensus"].Value);
    }

    private RunResult RunWithCredential(string script, string password, params object?[] args) =>
        Session.RunWith(script, new Hashtable { ["cred"] = Credential(password) }, args);

    private static PSCredential Credential(string password)
    {
        var secure = new System.Security.SecureString();
        foreach (char c in password)
        {
            secure.AppendChar(c);
        }
        return new PSCredential(ConsensusServers.User, secure);
    }
}
