using PgHa.Configuration;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Operations;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Etcd;

/// <summary>
/// The client against etcd serving https with client certificates required (a CA made by openssl for the
/// cluster) and its access control on: what is trusted, what is refused and why; the password never shows.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EtcdTlsTests : IClassFixture<EtcdTlsServers>
{
    private const string Password = EtcdTlsServers.Password;
    private readonly EtcdTlsServers _servers;

    public EtcdTlsTests(EtcdTlsServers servers) => _servers = servers;

    private EtcdCluster Cluster => _servers.Cluster;

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
            await _servers.RestoreAsync();
        }
    }

    [Fact]
    public async Task TheTlsFilesAndTheUserOfANodeConfigFileReachEtcd()
    {
        // What a monitor gets from its node's .psd1: the files at this host's paths, the password from a 0600 file.
        string passwordFile = Path.Combine(Cluster.Directory, "node1-etcd-password");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        ConfigParseResult parsed = PgHaDataFileParser.Parse($$"""
            @{
                NodeId = 1; NodeName = 'node1'; Conninfo = 'host=127.0.0.1'; DataDirectory = '/data'
                Etcd = @{ CaFile = '{{Cluster.CaCertificate}}'; CertFile = '{{Cluster.ClientCertificate}}'; KeyFile = '{{Cluster.ClientKey}}'; User = 'pgha'; PasswordFile = '{{passwordFile}}' }
            }
            """, "node1.psd1");
        Assert.Empty(parsed.Errors);

        EtcdAccess access = EtcdAccessSources.FromNodeConfig(parsed.Config);
        Assert.DoesNotContain(Password, access.ToString());
        // Nothing recorded for the cluster but the endpoints: the node's own files are enough.
        using var client = new EtcdClient(access.ToClientSettings(EtcdClientSettings.ParseEndpoints(Cluster.Endpoints), null, null, null));
        var store = new EtcdClusterStore(client, "/pgha-tls/c5", "cluster-tls");
        await store.WriteSettingsAsync("{}", default);
        Assert.Equal("{}", await store.ReadSettingsAsync(default));
    }

    [Fact]
    public async Task ServersSignedByAnotherCaAreNotTrusted()
    {
        // Without the cluster's CA the members' certificates chain to nothing the client trusts.
        PgHaException error = await ReadingFailsAsync(Settings("pgha", Password, trustClusterCa: false), "/pgha-tls/c3");
        Assert.Equal(PgHaErrorIds.EtcdUnreachable, error.ErrorId);
        Assert.DoesNotContain(Password, error.Message);
    }

    [Fact]
    public async Task WithoutAClientCertificateTheMembersRefuseTheConnection()
    {
        EtcdClientSettings settings = Settings("pgha", Password);
        PgHaException error = await ReadingFailsAsync(
            new EtcdClientSettings(settings.Endpoints) { RequestTimeout = TimeSpan.FromSeconds(2), CaFile = settings.CaFile, UserName = "pgha", Password = Password },
            "/pgha-tls/c6");
        Assert.Equal(PgHaErrorIds.EtcdUnreachable, error.ErrorId);
        Assert.DoesNotContain(Password, error.Message);
    }

    [Fact]
    public async Task AClientCertificateWithACommonNameIsRefusedWithWhatToIssueInstead()
    {
        // A member's certificate (CN etcd1, usable for client auth) stands in for a client certificate with a CN.
        PgHaException error = await ReadingFailsAsync(Settings("pgha", Password, certificate: "etcd1"), "/pgha-tls/c4");
        Assert.Equal(PgHaErrorIds.EtcdInvalidSettings, error.ErrorId);
        Assert.Contains("without CN", error.Message);
    }

    private static async Task<PgHaException> ReadingFailsAsync(EtcdClientSettings settings, string prefix)
    {
        using var client = new EtcdClient(settings);
        var store = new EtcdClusterStore(client, prefix, "cluster-tls");
        return await Assert.ThrowsAsync<PgHaException>(() => store.ReadClusterAsync(default));
    }

    private EtcdClientSettings Settings(string user, string password, bool trustClusterCa = true, string certificate = "client") =>
        new(EtcdClientSettings.ParseEndpoints(Cluster.Endpoints))
        {
            RequestTimeout = TimeSpan.FromSeconds(trustClusterCa ? 3 : 2),
            CaFile = trustClusterCa ? Cluster.CaCertificate : null,
            CertFile = Path.Combine(Cluster.Directory, certificate + ".crt"),
            KeyFile = Path.Combine(Cluster.Directory, certificate + ".key"),
            UserName = user,
            Password = password,
        };
}
