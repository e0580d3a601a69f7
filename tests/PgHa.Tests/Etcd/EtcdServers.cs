using PgHa.Etcd;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Etcd;

/// <summary>A 3-member etcd cluster for one test class; tests that stop members start them again before they end.</summary>
public class EtcdServers : IAsyncLifetime
{
    private readonly bool _tls;
    private EtcdCluster? _cluster;

    public EtcdServers()
        : this(tls: false)
    {
    }

    protected EtcdServers(bool tls) => _tls = tls;

    internal EtcdCluster Cluster => _cluster ?? throw new InvalidOperationException("The etcd cluster did not start.");

    public virtual async Task InitializeAsync() => _cluster = await EtcdCluster.StartAsync(tls: _tls);

    public virtual async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>A client over every member with the given deadline (2 s: the default 3 s would only make the fault tests slower).</summary>
    internal EtcdClient Client(TimeSpan? deadline = null) =>
        new(new EtcdClientSettings(EtcdClientSettings.ParseEndpoints(Cluster.Endpoints)) { RequestTimeout = deadline ?? TimeSpan.FromSeconds(2) });

    /// <summary>Starts every stopped member and waits until all are healthy: the next test gets the whole cluster.</summary>
    internal async Task RestoreAsync()
    {
        foreach (EtcdClusterMember member in Cluster.Members.Where(m => !m.Running))
        {
            Cluster.Start(member);
        }
        await Cluster.WaitHealthyAsync();
    }

    /// <summary>
    /// Turns etcd's access control on: root (which etcd needs first), and <paramref name="user"/> with a role that may
    /// read and write only under <paramref name="prefix"/>.
    /// </summary>
    protected async Task EnableAccessControlAsync(string user, string password, string prefix)
    {
        foreach (string[] command in new[]
        {
            new[] { "user", "add", "root", "--new-user-password=rootpw" },
            ["user", "add", user, "--new-user-password=" + password],
            ["role", "add", "pgha"],
            ["role", "grant-permission", "pgha", "--prefix=true", "readwrite", prefix],
            ["user", "grant-role", user, "pgha"],
            ["auth", "enable"],
        })
        {
            FixtureCommandResult result = await Cluster.EtcdctlAsync(command);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("Setting up etcd's access control failed: " + result.Describe());
            }
        }
        Cluster.EtcdctlUser = "root:rootpw";
    }
}
