using System.Net;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Operations;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Etcd;

/// <summary>
/// The client against etcd with its access control on (plain http): a user and password from a credential,
/// tokens per member that a restarted member forgets, and what each refusal says; the password never shows.
/// </summary>
public sealed class EtcdAuthTests : IClassFixture<EtcdAuthServers>
{
    private const string Password = EtcdAuthServers.Password;
    private readonly EtcdAuthServers _servers;

    public EtcdAuthTests(EtcdAuthServers servers) => _servers = servers;

    private EtcdCluster Cluster => _servers.Cluster;

    [Fact]
    public async Task ACredentialReadsAndWritesUnderItsPrefixAndAuthenticatesAgainWhenAMemberForgetsItsToken()
    {
        EtcdAccess access = EtcdAccessSources.FromCredential(new NetworkCredential(EtcdAuthServers.User, Password));
        // Only the first member: the client cannot move on to another member, it has to authenticate again with this one.
        EtcdClusterMember first = Cluster.Members[0];
        using var client = new EtcdClient(access.ToClientSettings(EtcdClientSettings.ParseEndpoints(first.ClientUrl), null, null, null));
        var store = new EtcdClusterStore(client, EtcdAuthServers.Prefix + "c1", "cluster-auth");
        EtcdLease lease = await store.GrantLeaseAsync(TimeSpan.FromSeconds(30), default);
        Assert.True((await store.TryTakeLeaderAsync("node1", lease, default)).Held);

        // etcd 3.4's simple tokens live in the member's memory: the member restarts and refuses the old token;
        // the client authenticates again by itself and the key is still held.
        await Cluster.StopAsync(first);
        Cluster.Start(first);
        await Cluster.WaitHealthyAsync();
        Assert.True((await store.RenewLeaderAsync("node1", lease, default)).Held);
        Assert.Equal("node1", (await store.ReadLeaderAsync(default))?.NodeName);
    }

    [Fact]
    public async Task AWrongPasswordIsRefusedAsSuchWithoutShowingIt()
    {
        PgHaException error = await ReadingFailsAsync(new EtcdAccess { UserName = EtcdAuthServers.User, Password = "wrong-Pa55" }, EtcdAuthServers.Prefix + "c2");
        Assert.Equal(PgHaErrorIds.EtcdAuthenticationFailed, error.ErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.AuthenticationError, error.Category);
        Assert.DoesNotContain("wrong-Pa55", error.Message);
    }

    [Fact]
    public async Task WithoutAUserTheErrorSaysHowToGiveOne()
    {
        PgHaException error = await ReadingFailsAsync(EtcdAccess.None, EtcdAuthServers.Prefix + "c3");
        Assert.Equal(PgHaErrorIds.EtcdAuthenticationFailed, error.ErrorId);
        Assert.Contains("-EtcdCredential", error.Message);
        Assert.Contains("Etcd.PasswordFile", error.Message);
    }

    [Fact]
    public async Task AUserWithoutARoleOnThePrefixIsDenied()
    {
        PgHaException error = await ReadingFailsAsync(new EtcdAccess { UserName = EtcdAuthServers.User, Password = Password }, "/elsewhere");
        Assert.Equal(PgHaErrorIds.EtcdPermissionDenied, error.ErrorId);
        Assert.Contains("grant-permission", error.Message);
        Assert.DoesNotContain(Password, error.Message);
    }

    private async Task<PgHaException> ReadingFailsAsync(EtcdAccess access, string prefix)
    {
        using var client = new EtcdClient(access.ToClientSettings(EtcdClientSettings.ParseEndpoints(Cluster.Endpoints), null, null, null));
        var store = new EtcdClusterStore(client, prefix, "cluster-auth");
        return await Assert.ThrowsAsync<PgHaException>(() => store.ReadClusterAsync(default));
    }
}
