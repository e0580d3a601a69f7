using PgHa.Core;
using PgHa.Etcd;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.UnitTests.Etcd;

/// <summary>
/// etcd as production runs it: https on the client port with client certificates required (a CA made by
/// openssl for this test), and etcd users with auth enabled. The user "pgha" may read and write only under
/// /pgha-tls/; its password never shows in what the client says.
/// </summary>
public sealed class EtcdTlsTests : IAsyncLifetime
{
    private const string Password = "s3cret pass'word";
    private EtcdCluster? _cluster;

    private EtcdCluster Cluster => _cluster ?? throw new InvalidOperationException("The etcd cluster did not start.");

    public async Task InitializeAsync()
    {
        _cluster = await EtcdCluster.StartAsync(tls: true);
        foreach (string[] command in new[]
        {
            new[] { "user", "add", "root", "--new-user-password=rootpw" },
            ["user", "add", "pgha", "--new-user-password=" + Password],
            ["role", "add", "pgha"],
            ["role", "grant-permission", "pgha", "--prefix=true", "readwrite", "/pgha-tls/"],
            ["user", "grant-role", "pgha", "pgha"],
            ["auth", "enable"],
        })
        {
            FixtureCommandResult result = await _cluster.EtcdctlAsync(command);
            Assert.True(result.Succeeded, result.Describe());
        }
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task ACertificateAndAUserTakeTheLeaderKeyOverTls()
    {
        EtcdClientSettings settings = Settings("pgha", Password);
        Assert.DoesNotContain(Password, settings.ToString());
        using var client = new EtcdClient(settings);
        var store = new EtcdClusterStore(client, "/pgha-tls/c1", "cluster-tls");

        EtcdLease lease = await store.GrantLeaseAsync(TimeSpan.FromSeconds(10), default);
        Assert.True((await store.TryTakeLeaderAsync("node1", lease, default)).Held);
        Assert.True((await store.RenewLeaderAsync("node1", lease, default)).Held);
        await store.PublishMemberAsync("node1", "{}", lease, default);
        EtcdClusterView view = await store.ReadClusterAsync(default);
        Assert.Equal("node1", view.Leader?.NodeName);
        Assert.Single(view.Members);

        // Simple tokens are per member: the client authenticates with the next member when the first is gone.
        await Cluster.StopAsync(Cluster.Members[0]);
        try
        {
            Assert.True((await store.RenewLeaderAsync("node1", lease, default)).Held);
        }
        finally
        {
            Cluster.Start(Cluster.Members[0]);
            await Cluster.WaitHealthyAsync();
        }
    }

    [Fact]
    public async Task AWrongPasswordIsRefusedAsSuchAndNotRepeated()
    {
        using var client = new EtcdClient(Settings("pgha", "wrong"));
        var store = new EtcdClusterStore(client, "/pgha-tls/c2", "cluster-tls");
        PgHaException error = await Assert.ThrowsAsync<PgHaException>(() => store.ReadClusterAsync(default));
        Assert.Equal(EtcdErrorIds.AuthenticationFailed, error.ErrorId);
        Assert.DoesNotContain("wrong", error.Message);
    }

    [Fact]
    public async Task AUserWithoutARoleOnThePrefixIsDenied()
    {
        using var client = new EtcdClient(Settings("pgha", Password));
        var store = new EtcdClusterStore(client, "/elsewhere", "cluster-tls");
        PgHaException error = await Assert.ThrowsAsync<PgHaException>(() => store.ReadClusterAsync(default));
        Assert.Equal(EtcdErrorIds.PermissionDenied, error.ErrorId);
        Assert.Contains("grant-permission", error.Message);
    }

    [Fact]
    public async Task ServersSignedByAnotherCaAreNotTrusted()
    {
        // Without the cluster's CA the members' certificates chain to nothing the client trusts.
        var settings = new EtcdClientSettings(EtcdClientSettings.ParseEndpoints(Cluster.Endpoints))
        {
            RequestTimeout = TimeSpan.FromSeconds(2),
            CertFile = Cluster.ClientCertificate,
            KeyFile = Cluster.ClientKey,
            UserName = "pgha",
            Password = Password,
        };
        using var client = new EtcdClient(settings);
        var store = new EtcdClusterStore(client, "/pgha-tls/c3", "cluster-tls");
        PgHaException error = await Assert.ThrowsAsync<PgHaException>(() => store.ReadClusterAsync(default));
        Assert.Equal(EtcdErrorIds.Unreachable, error.ErrorId);
        Assert.DoesNotContain(Password, error.Message);
    }

    private EtcdClientSettings Settings(string user, string password) =>
        new(EtcdClientSettings.ParseEndpoints(Cluster.Endpoints))
        {
            RequestTimeout = TimeSpan.FromSeconds(3),
            CaFile = Cluster.CaCertificate,
            CertFile = Cluster.ClientCertificate,
            KeyFile = Cluster.ClientKey,
            UserName = user,
            Password = password,
        };
}
