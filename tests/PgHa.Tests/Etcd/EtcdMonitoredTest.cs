using PgHa.Etcd;
using PgHa.Tests.Failover;
using PgHa.Tests.Faults;
using PgHa.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Etcd;

/// <summary>
/// What the etcd failover tests share: a fresh 3-member etcd (real, on loopback) and a fresh monitored cluster
/// (node1 primary, node2 and node3 standbys, node3 with the higher priority) whose metadata records etcd under
/// <see cref="Prefix"/> (paused, Set-PgHaConsensus, resumed, as an operator does), with one monitor process per
/// node. node1's monitor runs in a cgroup of its own (<see cref="PrimaryMonitorCgroup"/>), so that a test can
/// cut it alone off from etcd. Ready once node1's monitor holds the leader key.
/// </summary>
public abstract class EtcdMonitoredTest(ITestOutputHelper output, string prefix) : IAsyncLifetime
{
    public const string Prefix = "/pgha-failover";

    protected ITestOutputHelper Output { get; } = output;

    protected MonitoredCluster Cluster { get; private set; } = null!;

    internal EtcdCluster Etcd { get; private set; } = null!;

    internal NodeCgroup PrimaryMonitorCgroup { get; private set; } = null!;

    private EtcdClient? _client;

    /// <summary>Start-PgHaMonitor parameters every monitor of the test gets besides the cluster secret (a failsafe test: EtcdFailsafe).</summary>
    protected virtual IReadOnlyDictionary<string, string> MonitorSettings => new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        try
        {
            Etcd = await EtcdCluster.StartAsync();
            _client = new EtcdClient(new EtcdClientSettings(EtcdClientSettings.ParseEndpoints(Etcd.Endpoints)) { RequestTimeout = TimeSpan.FromSeconds(2) });
            Cluster = await MonitoredCluster.StartAsync(prefix, new ClusterShape
            {
                Standbys = 2,
                Priorities = new Dictionary<string, int> { ["node2"] = 100, ["node3"] = 150 },
            });
            string conninfo = Cluster["node1"].Conninfo;
            Cluster.Session.Run("Suspend-PgHaMonitor -Conninfo $args[0] -Wait 0 -Confirm:$false -WarningAction SilentlyContinue", conninfo).ThrowIfErrors();
            Cluster.Session.Run("Set-PgHaConsensus -Conninfo $args[0] -Backend Etcd -EtcdEndpoint $args[1] -EtcdPrefix $args[2] -Confirm:$false",
                conninfo, Etcd.Endpoints, Prefix).ThrowIfErrors();
            Cluster.Session.Run("Resume-PgHaMonitor -Conninfo $args[0] -Wait 0 -Confirm:$false -WarningAction SilentlyContinue", conninfo).ThrowIfErrors();
            PrimaryMonitorCgroup = NodeCgroup.Create("node1-monitor", 1);
            await Cluster.StartMonitorsAsync(start: member => MonitorProcess.Start(member.Name, member.Conninfo, member.SocketConninfo,
                Path.Combine(Cluster.Directory, member.Name), new Dictionary<string, string>(MonitorSettings) { ["SecretFile"] = Cluster.SecretFile },
                member.Name == "node1" ? PrimaryMonitorCgroup.ProcsFile : null));
            bool held = await Polling.UntilAsync(async () => (await LeaderAsync())?.NodeName == "node1", TimeSpan.FromSeconds(30));
            if (!held)
            {
                throw new InvalidOperationException("node1's monitor did not take the leader key within 30 s.\n" + Cluster.DescribeMonitors());
            }
        }
        catch
        {
            // xunit does not call DisposeAsync when InitializeAsync fails: nothing started here may outlive the test.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            Output.WriteLine(Cluster.DescribeMonitors());
            await Cluster.DisposeAsync();
            Cluster = null!;
        }
        PrimaryMonitorCgroup?.Dispose();
        _client?.Dispose();
        if (Etcd is not null)
        {
            await Etcd.DisposeAsync();
            Etcd = null!;
        }
    }

    /// <summary>The leader key as etcd has it now (node, cluster id, term, lease); null when absent or when etcd does not answer.</summary>
    internal async Task<EtcdLeaderRecord?> LeaderAsync()
    {
        try
        {
            return await new EtcdClusterStore(_client!, Prefix, "(test)").ReadLeaderAsync(default);
        }
        catch (PgHa.Core.PgHaException)
        {
            return null;
        }
    }

    /// <summary>Whether the pause key exists under the prefix (etcd as Suspend-PgHaMonitor or etcdctl leaves it).</summary>
    internal async Task<bool> PauseKeyAsync() => await new EtcdClusterStore(_client!, Prefix, "(test)").ReadPauseRevisionAsync(default) is not null;

    /// <summary>Writes or deletes the pause key by hand, as an operator with etcdctl would.</summary>
    internal Task SetPauseKeyAsync(bool paused) => new EtcdClusterStore(_client!, Prefix, "(test)").SetPausedAsync(paused, "etcdctl by hand", default);

    /// <summary>"name consensus lease-left" per monitor, as Get-PgHaMonitor shows them.</summary>
    protected IReadOnlyList<string> MonitorConsensusLines() =>
        Cluster.Session.Run("Get-PgHaMonitor -Conninfo $args | ForEach-Object { \"$($_.Name) $($_.Consensus) $($_.LeaseSecondsLeft)\" }", Cluster.Conninfos.Cast<object?>().ToArray())
            .ThrowIfErrors().Output.Select(o => o.ToString()!).ToList();
}
