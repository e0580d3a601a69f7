using System.Text.Json;
using System.Text.Json.Nodes;
using PgHa.Bench.Servers;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// The same 3-node loopback layout run by Patroni 3.0.2 (Debian's patroni) against a 3-member etcd on loopback (the
/// fixtures' <see cref="EtcdCluster"/>, etcd 3.4, as PgHa's etcd variant has it; Patroni's etcd3: section, the v3 API).
/// Each node has its own loopback address, port, socket directory and REST API port (on its own address), reserved as
/// the fixtures reserve them (<see cref="PostgresServer.ReserveAsync"/>); Patroni creates the servers itself: its own
/// initdb on node1 (started first and waited for as the leader), then node2 and node3 by its default replica method,
/// pg_basebackup from the leader, with checkpoint fast as the fixtures' clones. Every node gets the fixtures' settings
/// and the benchmark's (fsync on) through Patroni's dynamic configuration, the fixtures' trusting pg_hba.conf, no
/// replication slots (use_slots false, as the other variants have none) and no pg_rewind (Patroni's default; the old
/// primary's rejoin is not measured). Patroni's watchdog is off: no /dev/watchdog on this machine (its default,
/// automatic, would run without one the same way), and a real one would reset the shared machine when a test kills Patroni.
/// Patroni is both the bootstrap and the agent here, so the agents run once <see cref="StartAsync"/> returns.
/// </summary>
public sealed class PatroniFailoverCluster : IFailoverCluster
{
    private static readonly TimeSpan LeaderDeadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ReplicasDeadline = TimeSpan.FromSeconds(180);

    private readonly EtcdCluster _etcd;
    private readonly IReadOnlyList<PostgresServer> _servers;
    private readonly List<PatroniDaemon> _daemons = [];
    private readonly Dictionary<string, int> _apiPorts = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };

    private string _scope = "";

    /// <summary>Patroni's leader key: its namespace (/service/), the scope, "leader".</summary>
    public EtcdLeaderKey? LeaderKeyInEtcd => new(_etcd.Members[0].ClientUrl, $"/service/{_scope}/leader");

    private PatroniFailoverCluster(EtcdCluster etcd, IReadOnlyList<PostgresServer> servers)
    {
        _etcd = etcd;
        _servers = servers;
        Nodes = servers.Select((s, i) => new BenchNode($"node{i + 1}", s)).ToList();
    }

    public IReadOnlyList<BenchNode> Nodes { get; }

    /// <param name="prefix">The round's prefix: the servers' directory names and Patroni's scope (the cluster's name in etcd).</param>
    /// <param name="timing">Patroni's ttl, loop_wait, retry_timeout and primary_start_timeout (bootstrap.dcs).</param>
    /// <param name="serverSettings">postgresql.conf settings for every node beyond the fixtures' (the same as the other variants get).</param>
    public static async Task<PatroniFailoverCluster> StartAsync(string prefix, PatroniTiming timing, IReadOnlyDictionary<string, string> serverSettings, CancellationToken cancellationToken)
    {
        var etcd = await EtcdCluster.StartAsync(cancellationToken: cancellationToken);
        var servers = new List<PostgresServer>();
        try
        {
            for (int i = 1; i <= 3; i++)
            {
                servers.Add(await PostgresServer.ReserveAsync($"{prefix}n{i}", cancellationToken));
            }
        }
        catch
        {
            foreach (PostgresServer server in servers)
            {
                await server.DisposeAsync();
            }
            await etcd.DisposeAsync();
            throw;
        }
        var cluster = new PatroniFailoverCluster(etcd, servers);
        try
        {
            cluster._scope = prefix;
            await cluster.BootstrapAsync(prefix, timing, serverSettings, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Patroni runs already (it made the cluster): waits until node1 leads and both replicas run and stream from it.</summary>
    public async Task StartAgentsAsync(CancellationToken cancellationToken)
    {
        string? why = null;
        bool steady = await Polling.UntilAsync(() => (why = Unsteady(cancellationToken)) is null, TimeSpan.FromSeconds(30), cancellationToken);
        if (!steady)
        {
            throw new InvalidOperationException($"Patroni's cluster did not settle within 30 s: {why}\n" + string.Join("\n", _daemons.Select(d => d.Describe())));
        }
    }

    public string? Unsteady(CancellationToken cancellationToken)
    {
        if (_daemons.FirstOrDefault(d => d.HasExited) is { } ended)
        {
            return $"Patroni of {ended.NodeName} has exited";
        }
        var members = ClusterMembers(Nodes[0], cancellationToken);
        if (members is null)
        {
            return "node1's Patroni REST API does not answer GET /cluster";
        }
        var leaders = members.Where(m => m.Role == "leader").Select(m => m.Name).ToList();
        var off = members.Where(m => m.State is not ("running" or "streaming")).ToList();
        return members.Count != Nodes.Count ? $"Patroni lists {members.Count} members"
            : leaders.Count != 1 || leaders[0] != Nodes[0].Name ? $"the leader is {(leaders.Count == 0 ? "nobody" : string.Join(", ", leaders))}, not node1"
            : off.Count > 0 ? "not every member runs: " + string.Join("; ", off.Select(m => $"{m.Name} {m.State}"))
            : null;
    }

    public IReadOnlyList<int> AgentPids(BenchNode node) => _daemons.Where(d => d.NodeName == node.Name).SelectMany(d => d.Pids).ToList();

    public void SaveLogs(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (PatroniDaemon daemon in _daemons)
        {
            File.WriteAllText(Path.Combine(directory, $"patroni-{daemon.NodeName}.log"), daemon.Describe());
        }
        foreach (BenchNode node in Nodes)
        {
            PgHaFailoverCluster.CopyIfThere(ConfigFile(node), Path.Combine(directory, $"patroni-{node.Name}.yml"));
            PgHaFailoverCluster.CopyIfThere(node.Server.LogFile, Path.Combine(directory, $"postgresql-{node.Name}.log"));
        }
        PgHaFailoverCluster.SaveEtcdLogs(_etcd, directory);
    }

    public async ValueTask DisposeAsync()
    {
        // The replicas' Patroni first: stopped before the leader's, none of them takes the leader key as the leader's stops.
        foreach (PatroniDaemon daemon in Enumerable.Reverse(_daemons))
        {
            await daemon.DisposeAsync();
        }
        // Whatever Patroni left running (a postmaster whose Patroni was killed) is stopped here, and the directories deleted.
        foreach (PostgresServer server in Enumerable.Reverse(_servers))
        {
            await server.DisposeAsync();
        }
        await _etcd.DisposeAsync();
        _http.Dispose();
    }

    private static string ConfigFile(BenchNode node) => Path.Combine(node.Server.RootDirectory, "patroni.yml");

    private static string LogFile(BenchNode node) => Path.Combine(node.Server.RootDirectory, "patroni.log");

    private string Api(BenchNode node) => $"http://{node.Server.Address}:{_apiPorts[node.Name]}";

    private async Task BootstrapAsync(string scope, PatroniTiming timing, IReadOnlyDictionary<string, string> serverSettings, CancellationToken cancellationToken)
    {
        foreach (BenchNode node in Nodes)
        {
            _apiPorts[node.Name] = LoopbackAddresses.FreePort(node.Server.Address);
            await File.WriteAllTextAsync(ConfigFile(node), Config(scope, node, timing, serverSettings).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
            await FixtureCommand.RunCheckedAsync("chown", [$"{FixtureCommand.PostgresUser}:{FixtureCommand.PostgresUser}", ConfigFile(node)], cancellationToken);
        }
        // node1 first: the first Patroni to find the scope empty in etcd runs initdb and takes the leader key.
        _daemons.Add(PatroniDaemon.Start(Nodes[0].Name, ConfigFile(Nodes[0]), LogFile(Nodes[0])));
        bool leads = await Polling.UntilAsync(() => _daemons[0].HasExited || ClusterMembers(Nodes[0], cancellationToken) is { } m
            && m.Any(x => x.Name == Nodes[0].Name && x.Role == "leader" && x.State == "running"), LeaderDeadline, cancellationToken);
        if (!leads || _daemons[0].HasExited)
        {
            throw new InvalidOperationException($"node1's Patroni did not bootstrap and lead within {LeaderDeadline.TotalSeconds:0} s.\n{_daemons[0].Describe()}\n{Nodes[0].Server.LogTail()}");
        }
        foreach (BenchNode replica in Nodes.Skip(1))
        {
            _daemons.Add(PatroniDaemon.Start(replica.Name, ConfigFile(replica), LogFile(replica)));
        }
        bool replicas = await Polling.UntilAsync(() => _daemons.Any(d => d.HasExited) || ClusterMembers(Nodes[0], cancellationToken) is { } m
            && Nodes.Skip(1).All(n => m.Any(x => x.Name == n.Name && x.Role == "replica" && x.State is "running" or "streaming")), ReplicasDeadline, cancellationToken);
        if (!replicas || _daemons.Any(d => d.HasExited))
        {
            throw new InvalidOperationException($"node2's and node3's Patroni did not run as replicas within {ReplicasDeadline.TotalSeconds:0} s.\n" + string.Join("\n", _daemons.Select(d => d.Describe())));
        }
        foreach (BenchNode replica in Nodes.Skip(1))
        {
            await BenchCluster.WaitForStreamingAsync(replica.Server, cancellationToken);
        }
    }

    /// <summary>
    /// One node's Patroni configuration (JSON, which YAML reads as it is). Only what the layout needs is set; every HA
    /// setting not in <paramref name="timing"/> is Patroni's default.
    /// </summary>
    private JsonObject Config(string scope, BenchNode node, PatroniTiming timing, IReadOnlyDictionary<string, string> serverSettings)
    {
        PostgresServer server = node.Server;
        string self = $"{server.Address}:{server.Port}";
        string api = $"{server.Address}:{_apiPorts[node.Name]}";
        // The fixtures' settings (PostgresServer's SharedSettings; fsync back on by the benchmark's serverSettings) and
        // BenchCluster's max_wal_senders: the same on every node, so in the dynamic configuration, where Patroni wants them.
        var shared = new JsonObject
        {
            ["wal_level"] = "replica",
            ["max_wal_senders"] = 32,
            ["max_replication_slots"] = 10,
            ["hot_standby"] = "on",
            ["wal_log_hints"] = "on",
            ["wal_keep_size"] = "128MB",
            ["fsync"] = "off",
            ["synchronous_commit"] = "on",
            ["full_page_writes"] = "on",
            ["shared_buffers"] = "32MB",
            ["log_line_prefix"] = "%m [%p] %q%a ",
            ["log_connections"] = "off",
        };
        foreach (var (key, value) in serverSettings)
        {
            shared[key] = value;
        }
        return new JsonObject
        {
            ["scope"] = scope,
            ["namespace"] = "/service/",
            ["name"] = node.Name,
            ["restapi"] = new JsonObject { ["listen"] = api, ["connect_address"] = api },
            ["etcd3"] = new JsonObject { ["hosts"] = new JsonArray([.. _etcd.Members.Select(m => (JsonNode)JsonValue.Create(new Uri(m.ClientUrl).Authority)!)]) },
            ["bootstrap"] = new JsonObject
            {
                ["dcs"] = new JsonObject
                {
                    ["ttl"] = timing.Ttl,
                    ["loop_wait"] = timing.LoopWait,
                    ["retry_timeout"] = timing.RetryTimeout,
                    ["primary_start_timeout"] = timing.PrimaryStartTimeout,
                    ["postgresql"] = new JsonObject { ["use_pg_rewind"] = false, ["use_slots"] = false, ["parameters"] = shared },
                },
                // The fixtures' initdb: trust, UTF8, C.UTF-8 (Patroni adds --username from authentication.superuser).
                ["initdb"] = new JsonArray(new JsonObject { ["encoding"] = "UTF8" }, new JsonObject { ["locale"] = "C.UTF-8" }, new JsonObject { ["auth"] = "trust" }),
            },
            ["postgresql"] = new JsonObject
            {
                ["listen"] = self,
                ["connect_address"] = self,
                ["data_dir"] = server.DataDirectory,
                ["bin_dir"] = PostgresServer.BinDirectory,
                ["pgpass"] = Path.Combine(server.RootDirectory, "pgpass"),
                ["authentication"] = new JsonObject
                {
                    ["superuser"] = new JsonObject { ["username"] = PostgresServer.Superuser },
                    ["replication"] = new JsonObject { ["username"] = PostgresServer.Superuser },
                },
                // This node's own: its socket directory, and the server log where the fixtures keep it (PostgresServer.LogFile).
                ["parameters"] = new JsonObject
                {
                    ["unix_socket_directories"] = server.SocketDirectory,
                    ["logging_collector"] = "on",
                    ["log_directory"] = server.RootDirectory,
                    ["log_filename"] = Path.GetFileName(server.LogFile),
                },
                // The fixtures' pg_hba.conf: everything on loopback and the socket trusted.
                ["pg_hba"] = new JsonArray("local all all trust", "local replication all trust", "host all all 127.0.0.0/8 trust", "host replication all 127.0.0.0/8 trust"),
                ["basebackup"] = new JsonArray(new JsonObject { ["checkpoint"] = "fast" }),
            },
            ["watchdog"] = new JsonObject { ["mode"] = "off" },
        };
    }

    /// <summary>GET /cluster on a node's REST API: every member's name, role (leader, replica) and state; null when it does not answer.</summary>
    private IReadOnlyList<(string Name, string Role, string State)>? ClusterMembers(BenchNode node, CancellationToken cancellationToken)
    {
        try
        {
            using var response = _http.GetAsync(Api(node) + "/cluster", cancellationToken).GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            using var document = JsonDocument.Parse(response.Content.ReadAsStringAsync(cancellationToken).GetAwaiter().GetResult());
            return document.RootElement.GetProperty("members").EnumerateArray()
                .Select(m => (m.GetProperty("name").GetString() ?? "?", Text(m, "role"), Text(m, "state"))).ToList();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
        {
            return null;
        }

        static string Text(JsonElement member, string name) => member.TryGetProperty(name, out var value) ? value.GetString() ?? "" : "";
    }
}
