using PgHa.Tests.Cluster;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Roles;

/// <summary>
/// A primary (node1) and two streaming standbys (node2, node3), registered with -DataDirectory so their
/// records say where pg_ctl and postgresql.auto.conf are. Promotion is one-way, so each test class
/// derives its own fixture and gets its own servers.
/// </summary>
public abstract class RoleChangeFixture : IAsyncLifetime
{
    protected RoleChangeFixture(string prefix) => Prefix = prefix;

    private string Prefix { get; }

    public PgHaSession Session { get; } = new();

    public ReplicatedServers Servers { get; private set; } = null!;

    /// <summary>Every node's conninfo: the metadata can be read through the standbys while the primary is stopped.</summary>
    public string[] Conninfos => Servers.All.Select(ReplicatedServers.NodeConninfo).ToArray();

    public async Task InitializeAsync()
    {
        Servers = await ReplicatedServers.StartAsync(Prefix, standbyCount: 2);
        Session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -DataDirectory $args[1]",
            ReplicatedServers.NodeConninfo(Servers.Primary), Servers.Primary.DataDirectory).ThrowIfErrors();
        for (int i = 0; i < Servers.Standbys.Count; i++)
        {
            var standby = Servers.Standbys[i];
            // The metadata database must have reached the standby before it can be registered.
            await Fixtures.Polling.UntilAsync(async () => await standby.QueryScalarAsync("SELECT count(*) FROM pg_database WHERE datname = 'pgha'") == "1", TimeSpan.FromSeconds(30));
            Session.Run("Register-PgHaNode -Role Standby -Name $args[0] -Conninfo $args[1] -DataDirectory $args[2]",
                $"node{i + 2}", ReplicatedServers.NodeConninfo(standby), standby.DataDirectory).ThrowIfErrors();
        }
    }

    public async Task DisposeAsync()
    {
        Session.Dispose();
        if (Servers is not null)
        {
            await Servers.DisposeAsync();
        }
    }
}
