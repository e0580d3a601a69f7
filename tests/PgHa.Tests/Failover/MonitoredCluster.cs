using System.Text;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;

namespace PgHa.Tests.Failover;

/// <summary>A node of a <see cref="MonitoredCluster"/>: its server, how it was registered, and the port its monitor listens on.</summary>
public sealed record ClusterMember(string Name, PostgresServer Server, string Role, int MonitorPort, int Priority, string Location)
{
    public string Conninfo => ReplicatedServers.NodeConninfo(Server);

    /// <summary>Through the Unix socket: the monitor still reaches its own server when the node's address is cut off.</summary>
    public string SocketConninfo => $"host={Server.SocketDirectory} port={Server.Port} user={PostgresServer.Superuser} dbname=pgha";
}

/// <summary>What a failover test's cluster looks like.</summary>
public sealed record ClusterShape
{
    public int Standbys { get; init; } = 2;
    public bool Witness { get; init; }

    /// <summary>Priority by node name (node1 is the primary, node2... the standbys); 100 otherwise.</summary>
    public IReadOnlyDictionary<string, int> Priorities { get; init; } = new Dictionary<string, int>();

    /// <summary>Settings for every server's postgresql.conf (e.g. synchronous_standby_names).</summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }
}

/// <summary>Failover tests run one at a time and alone: their timing is what they test, and each runs a cluster of monitors.</summary>
[Xunit.CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverCollection
{
    public const string Name = "Failover";
}

/// <summary>
/// A registered cluster (primary node1, standbys node2..., optionally a witness) whose monitors each run
/// in a process of their own, started by <see cref="StartMonitorsAsync"/>. Disposing stops the monitors
/// first (so nothing fails over while the servers are stopped), then the servers.
/// </summary>
public sealed class MonitoredCluster : IAsyncDisposable
{
    private readonly List<MonitorProcess> _monitors = [];
    private readonly List<MonitorProcess> _retired = [];
    private PostgresServer? _witnessServer;

    private MonitoredCluster(string directory) => Directory = directory;

    public PgHaSession Session { get; } = new();

    public ReplicatedServers Servers { get; private set; } = null!;

    public List<ClusterMember> Members { get; } = [];

    public string Directory { get; }

    public IEnumerable<ClusterMember> DataNodes => Members.Where(m => m.Role != "Witness");

    public string[] Conninfos => Members.Select(m => m.Conninfo).ToArray();

    public ClusterMember this[string name] => Members.Single(m => m.Name == name);

    public IReadOnlyList<MonitorProcess> Monitors => _monitors;

    public static async Task<MonitoredCluster> StartAsync(string prefix, ClusterShape shape)
    {
        var cluster = new MonitoredCluster(await TestDirectories.CreateAsync(prefix + "-monitors", owner: null));
        try
        {
            await cluster.BuildAsync(shape);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync(ClusterShape shape)
    {
        // The servers are named like their nodes, so each standby's application_name (its fixture name) is its
        // node name, as it is in a cluster PgHa cloned: pg_stat_replication and monitoring history match them up.
        CreateSecret();
        Servers = await StartServersAsync("node", shape);
        Register("Primary", "node1", Servers.Primary, shape);
        for (int i = 0; i < Servers.Standbys.Count; i++)
        {
            var standby = Servers.Standbys[i];
            await Polling.UntilAsync(async () => await standby.QueryScalarAsync("SELECT count(*) FROM pg_database WHERE datname = 'pgha'") == "1", TimeSpan.FromSeconds(30));
            Register("Standby", $"node{i + 2}", standby, shape);
        }
        if (shape.Witness)
        {
            _witnessServer = await PostgresServer.InitPrimaryAsync("witness");
            Register("Witness", "witness", _witnessServer, shape);
        }
    }

    private static async Task<ReplicatedServers> StartServersAsync(string prefix, ClusterShape shape)
    {
        return await ReplicatedServers.StartAsync(prefix, shape.Standbys, shape.Settings);
    }

    private void Register(string role, string name, PostgresServer server, ClusterShape shape)
    {
        int port = LoopbackAddresses.FreePort(server.Address);
        int priority = shape.Priorities.TryGetValue(name, out int p) ? p : 100;
        var member = new ClusterMember(name, server, role, port, priority, "default");
        string script = role == "Witness"
            ? "Register-PgHaNode -Role Witness -Name $args[0] -Conninfo $args[1] -DataDirectory $args[2] -MonitorPort $args[3] -PrimaryConninfo $args[5]"
            : $"Register-PgHaNode -Role {role} -Name $args[0] -Conninfo $args[1] -DataDirectory $args[2] -MonitorPort $args[3] -Priority $args[4]";
        Session.Run(script, name, member.Conninfo, server.DataDirectory, port, priority, Members.FirstOrDefault()?.Conninfo).ThrowIfErrors();
        Members.Add(member);
    }

    /// <summary>The cluster's secret (made by <see cref="StartAsync"/>): given to every monitor and to this session's commands ($PgHaClusterSecretFile).</summary>
    public string SecretFile => Path.Combine(Directory, "cluster-secret");

    /// <summary>Starts one monitor process per member and waits until every one answers at its endpoint.</summary>
    /// <param name="start">How a member's monitor is started (the fault suite starts each in its node's cgroup); by default as in production, with the node's Unix socket as its local conninfo.</param>
    public async Task StartMonitorsAsync(IReadOnlyDictionary<string, string>? settings = null, Func<ClusterMember, MonitorProcess>? start = null)
    {
        Dictionary<string, string> withSecret = WithSecret(settings);
        foreach (ClusterMember member in Members)
        {
            _monitors.Add(start?.Invoke(member) ?? StartMonitor(member, withSecret));
        }
        bool running = await Polling.UntilAsync(() =>
        {
            var result = Session.Run("Get-PgHaMonitor -Conninfo $args | Where-Object { $_.Running -and $_.LastCheck }", Conninfos.Cast<object?>().ToArray());
            return result.Output.Count == Members.Count;
        }, TimeSpan.FromSeconds(60));
        if (!running)
        {
            throw new InvalidOperationException("Not every monitor answered within 60 s.\n" + DescribeMonitors());
        }
    }

    public MonitorProcess MonitorOf(string name) => _monitors.Single(m => m.NodeName == name);

    /// <summary>
    /// Starts <paramref name="name"/>'s monitor again (after it was killed or stopped), as a supervisor would,
    /// with the same arguments plus <paramref name="settings"/>; its log goes on in the same file.
    /// </summary>
    public MonitorProcess RestartMonitor(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        MonitorProcess old = MonitorOf(name);
        if (!old.HasExited)
        {
            throw new InvalidOperationException($"{name}'s monitor (pid {old.Pid}) still runs; stop or kill it first.");
        }
        ClusterMember member = this[name];
        MonitorProcess started = StartMonitor(member, WithSecret(settings));
        ReplaceMonitor(started);
        return started;
    }

    /// <summary>The settings plus the cluster's secret file, which every monitor of the cluster is given.</summary>
    private Dictionary<string, string> WithSecret(IReadOnlyDictionary<string, string>? settings) =>
        new(settings ?? new Dictionary<string, string>()) { ["SecretFile"] = SecretFile };

    private MonitorProcess StartMonitor(ClusterMember member, IReadOnlyDictionary<string, string> settings) =>
        MonitorProcess.Start(member.Name, member.Conninfo, member.SocketConninfo, Path.Combine(Directory, member.Name), settings);

    /// <summary>A new cluster secret, as an operator makes one (48 random bytes, base64, mode 0600), and this session set to use it.</summary>
    private void CreateSecret()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(SecretFile, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.WriteLine(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)));
        }
        Session.Runspace.SessionStateProxy.SetVariable("PgHaClusterSecretFile", SecretFile);
    }

    /// <summary>Puts a monitor process started elsewhere (the fault suite starts them in the node's cgroup) in the place of the node's old one, which must have ended.</summary>
    public void ReplaceMonitor(MonitorProcess monitor)
    {
        MonitorProcess old = MonitorOf(monitor.NodeName);
        if (!old.HasExited)
        {
            throw new InvalidOperationException($"The monitor of {monitor.NodeName} (pid {old.Pid}) still runs; stop or kill it first.");
        }
        _retired.Add(old);
        _monitors[_monitors.IndexOf(old)] = monitor;
    }

    /// <summary>Every monitor's log, for assertion messages.</summary>
    public string DescribeMonitors()
    {
        var text = new StringBuilder();
        foreach (MonitorProcess monitor in _monitors)
        {
            text.AppendLine(monitor.Describe());
        }
        return text.ToString();
    }

    /// <summary>
    /// Which data nodes accept writes right now (null: no answer), asked through each server's Unix socket:
    /// a client on the node's own side of a network cut could still write there, and this asks as that client.
    /// </summary>
    public async Task<Dictionary<string, bool?>> WritableAsync()
    {
        var nodes = DataNodes.ToList();
        bool?[] answers = await Task.WhenAll(nodes.Select(n => WireClient.IsWritableOverSocketAsync(n.Server.SocketDirectory, n.Server.Port, TimeSpan.FromMilliseconds(1000))));
        return nodes.Select((n, i) => (n.Name, answers[i])).ToDictionary(x => x.Name, x => x.Item2);
    }

    /// <summary>Waits (with a deadline) until a data node other than <paramref name="formerPrimary"/> takes writes; its name, or null.</summary>
    public async Task<string?> WaitForNewPrimaryAsync(string formerPrimary, TimeSpan deadline)
    {
        string? promoted = null;
        await Polling.UntilAsync(async () =>
        {
            promoted = (await WritableAsync()).Where(w => w.Key != formerPrimary && w.Value == true).Select(w => w.Key).FirstOrDefault();
            return promoted is not null;
        }, deadline);
        return promoted;
    }

    /// <summary>The monitors' view as "name running term primary paused" lines.</summary>
    public IReadOnlyList<string> MonitorLines(string conninfo) =>
        Session.Run("Get-PgHaMonitor -Conninfo $args[0] | ForEach-Object { \"$($_.Name) $($_.Running) $($_.Term) $($_.Primary) $($_.Paused)\" }", conninfo)
            .ThrowIfErrors().Output.Select(o => o.ToString()!).ToList();

    /// <summary>The node a standby's WAL receiver streams from (matched by port), or null.</summary>
    public async Task<string?> StreamsFromAsync(string name)
    {
        var server = this[name].Server;
        try
        {
            string? port = await WireClient.QueryScalarOverSocketAsync(server.SocketDirectory, server.Port, "postgres",
                "SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'", TimeSpan.FromSeconds(2));
            return DataNodes.FirstOrDefault(m => m.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) == port)?.Name;
        }
        catch (WireException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (MonitorProcess monitor in _monitors.Concat(_retired))
        {
            await monitor.DisposeAsync();
        }
        Session.Dispose();
        if (_witnessServer is not null)
        {
            await _witnessServer.DisposeAsync();
        }
        if (Servers is not null)
        {
            await Servers.DisposeAsync();
        }
        TestDirectories.Delete(Directory);
    }
}
