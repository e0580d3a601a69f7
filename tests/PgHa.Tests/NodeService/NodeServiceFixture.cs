using PgHa.Tests.Cluster;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.NodeService;

/// <summary>
/// A primary (node1) and a streaming standby (node2), registered with -DataDirectory so their records
/// say where pg_ctl must look, in one hosted session shared by the node service tests.
/// </summary>
public sealed class NodeServiceFixture : IAsyncLifetime
{
    public PgHaSession Session { get; } = new();

    public ReplicatedServers Servers { get; private set; } = null!;

    /// <summary>Both nodes' conninfos: the metadata can still be read through the standby while the primary is stopped.</summary>
    public string[] Conninfos => [ReplicatedServers.NodeConninfo(Servers.Primary), ReplicatedServers.NodeConninfo(Servers.Standbys[0])];

    public async Task InitializeAsync()
    {
        Servers = await ReplicatedServers.StartAsync("svc", standbyCount: 1);
        Session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -DataDirectory $args[1]",
            ReplicatedServers.NodeConninfo(Servers.Primary), Servers.Primary.DataDirectory).ThrowIfErrors();
        Session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -DataDirectory $args[1]",
            ReplicatedServers.NodeConninfo(Servers.Standbys[0]), Servers.Standbys[0].DataDirectory).ThrowIfErrors();
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
