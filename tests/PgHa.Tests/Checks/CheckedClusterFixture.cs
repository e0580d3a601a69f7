using PgHa.Tests.Failover;
using Xunit;

namespace PgHa.Tests.Checks;

/// <summary>
/// One cluster for every check test: node1 primary (archive_mode on, archive_command succeeding),
/// node2 and node3 its standbys, all registered with their data directories, and a monitor process per
/// node. Each test provokes one fault, sees the check turn, and puts the cluster back as it was.
/// </summary>
public sealed class CheckedClusterFixture : IAsyncLifetime
{
    public MonitoredCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await MonitoredCluster.StartAsync("chk", new ClusterShape
        {
            Standbys = 2,
            Settings = new Dictionary<string, string> { ["archive_mode"] = "on", ["archive_command"] = "/bin/true" },
        });
        await Cluster.StartMonitorsAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
