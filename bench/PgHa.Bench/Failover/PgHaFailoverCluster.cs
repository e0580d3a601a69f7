using System.Globalization;
using System.Management.Automation;
using PgHa.Bench.Hosting;
using PgHa.Bench.Servers;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// Three servers from the fixtures, registered with Register-PgHaNode (node1 primary, node2-3 standbys, each
/// with its own monitor port), and one Start-PgHaMonitor per node in a process of its own, started one of two
/// ways: given a <see cref="ShippedLaunch"/>, as examples/systemd/pgha-monitor@.service starts it
/// (<see cref="ShippedMonitor"/>: the failover benchmark); otherwise as the failover tests start it
/// (<see cref="MonitorProcess"/>: PgHa.Run as root, reaching its own server through the Unix socket; the
/// proxy-outage benchmark). With <c>etcd</c>, a 3-member etcd on loopback beside it (the fixtures' <see cref="EtcdCluster"/>,
/// as the hosted etcd tests and New-PgHaSandbox -Etcd have one), recorded as the cluster's consensus with Set-PgHaConsensus
/// while the monitors are paused, before they start.
/// </summary>
public sealed class PgHaFailoverCluster : IFailoverCluster
{
    private readonly BenchCluster _servers;
    private readonly BenchSession _session;
    private readonly string _directory;
    private readonly Dictionary<string, string> _monitorSettings;
    private readonly ShippedLaunch? _shipped;
    private readonly List<IMonitorAgent> _monitors = [];
    private readonly EtcdCluster? _etcd;

    /// <summary>Where the monitors keep their keys in etcd (Set-PgHaConsensus -EtcdPrefix), when etcd decides.</summary>
    private const string EtcdPrefix = "/pgha-bench";

    private PgHaFailoverCluster(BenchCluster servers, BenchSession session, string directory, IReadOnlyDictionary<string, string> monitorSettings, ShippedLaunch? shipped, EtcdCluster? etcd)
    {
        _servers = servers;
        _etcd = etcd;
        _session = session;
        _directory = directory;
        _shipped = shipped;
        // The monitors sign what they say to each other with a cluster secret: one for this cluster, in its folder;
        // for shipped monitors at its default place, ~/.pgha/cluster-secret of their user. The benchmark (root) reads
        // it through -SecretFile (only the mode is checked: 0600).
        string secretFile = shipped is null ? Path.Combine(directory, "cluster-secret") : Path.Combine(HomeDirectory, ".pgha", "cluster-secret");
        Directory.CreateDirectory(Path.GetDirectoryName(secretFile)!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var writer = new StreamWriter(new FileStream(secretFile, options)))
        {
            writer.WriteLine(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)));
        }
        SecretFile = secretFile;
        _monitorSettings = new Dictionary<string, string>(monitorSettings) { ["SecretFile"] = secretFile };
        Nodes = servers.All.Select((s, i) => new BenchNode($"node{i + 1}", s)).ToList();
    }

    public IReadOnlyList<BenchNode> Nodes { get; }

    /// <summary>The cluster secret the monitors sign with: a switchover run from the benchmark needs it to pause them directly.</summary>
    public string SecretFile { get; }

    /// <summary>Where this cluster keeps its monitors' files; a benchmark may put its own beside them (deleted with the cluster).</summary>
    public string MonitorDirectory => _directory;

    /// <summary>The shipped monitors' user's HOME: their cluster secret (and pwsh's own caches).</summary>
    private string HomeDirectory => Path.Combine(_directory, "home");

    /// <summary>
    /// One more Start-PgHaMonitor parameter for every test-host monitor, before <see cref="StartAgentsAsync"/>: for a value
    /// that depends on the servers' addresses, known only once the cluster stands (a port free on all of them).
    /// </summary>
    public void AddMonitorSetting(string name, string value) => _monitorSettings[name] = value;

    /// <param name="monitorSettings">Start-PgHaMonitor parameters by name (e.g. ReconnectAttempts = "4") for test-host monitors; empty for its defaults.</param>
    /// <param name="shipped">Start the monitors as the systemd example does (their files then belong to postgres); null: as the tests do.</param>
    /// <param name="serverSettings">More postgresql.conf settings for every node (e.g. fsync = on).</param>
    /// <param name="etcd">A 3-member etcd beside the cluster, recorded as its consensus before the monitors start (shipped monitors only).</param>
    public static async Task<PgHaFailoverCluster> StartAsync(string prefix, BenchSession session, IReadOnlyDictionary<string, string> monitorSettings, CancellationToken cancellationToken,
        ShippedLaunch? shipped = null, IReadOnlyDictionary<string, string>? serverSettings = null, bool etcd = false)
    {
        if (etcd && shipped is null)
        {
            throw new ArgumentException("etcd is set up for shipped monitors only.", nameof(etcd));
        }
        if (shipped is not null && monitorSettings.Count > 0)
        {
            throw new ArgumentException("Shipped monitors take no parameter beyond the systemd example's.", nameof(monitorSettings));
        }
        string directory = await TestDirectories.CreateAsync(prefix + "-monitors", owner: null, cancellationToken);
        BenchCluster servers;
        EtcdCluster? etcdCluster = null;
        try
        {
            etcdCluster = etcd ? await EtcdCluster.StartAsync(cancellationToken: cancellationToken) : null;
            servers = await BenchCluster.StartAsync(prefix, standbyCount: 2, parallelClones: 2, cancellationToken, serverSettings);
        }
        catch
        {
            if (etcdCluster is not null)
            {
                await etcdCluster.DisposeAsync();
            }
            TestDirectories.Delete(directory);
            throw;
        }
        var cluster = new PgHaFailoverCluster(servers, session, directory, monitorSettings, shipped, etcdCluster);
        try
        {
            await cluster.RegisterAsync(cancellationToken);
            if (shipped is not null)
            {
                await cluster.WriteShippedFilesAsync(cancellationToken);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Shipped monitors: as the systemd example's comment says, the cluster paused (Suspend-PgHaMonitor), every monitor
    /// started, and resumed once they all run. With etcd, Set-PgHaConsensus -Backend Etcd while paused, before the monitors
    /// start (as the hosted etcd tests do it), and ready once node1's monitor holds the leader key. Test-host monitors: the standbys' first, then the primary's once they watch
    /// it. A primary's monitor fences its server when no majority has vouched for it for the fence timeout, counted from
    /// its own start, so started first (or all at once on a loaded machine, where a monitor process takes 1-3 s to
    /// start) it fenced the primary before the others were up: seen in trial runs here, reported with the benchmark.
    /// </summary>
    public async Task StartAgentsAsync(CancellationToken cancellationToken)
    {
        var all = Nodes.Select(n => n.Name).ToList();
        if (_shipped is { } shipped)
        {
            var pause = new Dictionary<string, object?>
            {
                ["Conninfo"] = Nodes.Select(Conninfo).ToArray(), ["SecretFile"] = SecretFile, ["Confirm"] = false, ["WarningAction"] = "SilentlyContinue",
            };
            _session.Invoke("Suspend-PgHaMonitor", pause, cancellationToken);
            if (_etcd is not null)
            {
                _session.Invoke("Set-PgHaConsensus", new Dictionary<string, object?>
                {
                    ["Conninfo"] = Conninfo(Nodes[0]), ["Backend"] = "Etcd", ["EtcdEndpoint"] = _etcd.Endpoints, ["EtcdPrefix"] = EtcdPrefix, ["Confirm"] = false,
                }, cancellationToken);
            }
            foreach (BenchNode node in Nodes)
            {
                _monitors.Add(ShippedMonitor.Start(node.Name, shipped.PwshDll, HomeDirectory, ConfigFile(node),
                    Path.Combine(_directory, "log", $"{node.Name}.log"), Path.Combine(_directory, "state", $"{node.Name}.vote.json"),
                    Path.Combine(_directory, "log", $"{node.Name}.console"), shipped.LocalSocket ? $" -LocalConninfo '{SocketConninfo(node)}'" : string.Empty));
            }
            await WaitForMonitorsAsync(all, standbysSeePrimary: false, cancellationToken);
            _session.Invoke("Resume-PgHaMonitor", pause, cancellationToken);
            await WaitForMonitorsAsync(all, standbysSeePrimary: true, cancellationToken);
            if (_etcd is not null && !await Polling.UntilAsync(() => LeaderKey(cancellationToken) == Nodes[0].Name, TimeSpan.FromSeconds(30), cancellationToken))
            {
                throw new InvalidOperationException($"node1's monitor did not take etcd's leader key within 30 s (it names {LeaderKey(cancellationToken) ?? "nobody"}).\n"
                    + string.Join("\n", _monitors.Select(m => m.Describe())));
            }
            return;
        }
        foreach (BenchNode node in Nodes.Skip(1))
        {
            _monitors.Add(new TestHostMonitor(MonitorProcess.Start(node.Name, Conninfo(node), SocketConninfo(node), Path.Combine(_directory, node.Name), _monitorSettings)));
        }
        await WaitForMonitorsAsync(all.Skip(1).ToList(), standbysSeePrimary: true, cancellationToken);
        _monitors.Add(new TestHostMonitor(MonitorProcess.Start(Nodes[0].Name, Conninfo(Nodes[0]), SocketConninfo(Nodes[0]), Path.Combine(_directory, Nodes[0].Name), _monitorSettings)));
        await WaitForMonitorsAsync(all, standbysSeePrimary: true, cancellationToken);
    }

    public IReadOnlyList<int> AgentPids(BenchNode node) => _monitors.Where(m => m.NodeName == node.Name).Select(m => m.Pid).ToList();

    /// <summary>Until the named monitors run, have checked their node and (when asked), on a standby, saw the primary in the last 2 s.</summary>
    private async Task WaitForMonitorsAsync(IReadOnlyList<string> names, bool standbysSeePrimary, CancellationToken cancellationToken)
    {
        // A monitor that refuses its settings (PgHaMonitorUnsafeTimeouts) or cannot start ends at once: no need to wait for it.
        bool running = await Polling.UntilAsync(() =>
        {
            var views = MonitorViews(cancellationToken).Where(v => names.Contains(v.Name)).ToList();
            return _monitors.Any(m => m.HasExited) || (views.Count == names.Count && views.All(v => v.Running && v.HasChecked
                && (!standbysSeePrimary || v.Name == Nodes[0].Name || v.PrimaryLastSeen > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(2))));
        }, TimeSpan.FromSeconds(90), cancellationToken);
        if (!running || _monitors.Any(m => m.HasExited))
        {
            throw new InvalidOperationException($"Not every PgHa monitor of {string.Join(", ", names)} was running, had checked its node and (on a standby, when asked) saw the primary within 90 s.\n"
                + string.Join("\n", _monitors.Select(m => m.Describe())));
        }
    }

    /// <summary>Every monitor's term and primary as it reports them (Get-PgHaMonitor, 1 s per monitor at most).</summary>
    public IReadOnlyList<MonitorView> MonitorViews(CancellationToken cancellationToken) =>
        _session.Invoke("Get-PgHaMonitor", new Dictionary<string, object?> { ["Conninfo"] = Nodes.Select(Conninfo).ToArray() }, cancellationToken)
            .Select(o => new MonitorView((string)o.Properties["Name"].Value, (bool)o.Properties["Running"].Value, o.Properties["LastCheck"].Value is not null,
                (long?)o.Properties["Term"].Value, (string?)o.Properties["Primary"].Value, (DateTimeOffset?)o.Properties["PrimaryLastSeen"].Value))
            .ToList();

    /// <summary>The node etcd's leader key names (Get-PgHaCluster's Consensus.Leader), or null.</summary>
    private string? LeaderKey(CancellationToken cancellationToken) =>
        _session.Invoke("Get-PgHaCluster", new Dictionary<string, object?> { ["Conninfo"] = Nodes.Select(Conninfo).ToArray(), ["WarningAction"] = "SilentlyContinue" }, cancellationToken)
            .Select(c => c.Properties["Consensus"]?.Value is { } consensus ? PSObject.AsPSObject(consensus).Properties["Leader"]?.Value as string : null).FirstOrDefault();

    public EtcdLeaderKey? LeaderKeyInEtcd => _etcd is null ? null : new EtcdLeaderKey(_etcd.Members[0].ClientUrl, EtcdPrefix + "/leader");

    public string? Unsteady(CancellationToken cancellationToken)
    {
        if (_monitors.FirstOrDefault(m => m.HasExited) is { } ended)
        {
            return $"the monitor of {ended.NodeName} has exited";
        }
        if (_etcd is not null && LeaderKey(cancellationToken) is var leader && leader != Nodes[0].Name)
        {
            return $"etcd's leader key names {leader ?? "nobody"}, not node1";
        }
        var views = MonitorViews(cancellationToken);
        var off = views.Where(v => !v.Running || v.Term != 1 || v.Primary != Nodes[0].Name).ToList();
        return views.Count != Nodes.Count ? $"Get-PgHaMonitor lists {views.Count} monitors"
            : off.Count > 0 ? "not every monitor is in term 1 with node1 as the primary: " + string.Join("; ", off)
            : null;
    }

    public void SaveLogs(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (IMonitorAgent monitor in _monitors)
        {
            File.WriteAllText(Path.Combine(directory, $"monitor-{monitor.NodeName}.log"), monitor.Describe());
        }
        foreach (BenchNode node in Nodes)
        {
            CopyIfThere(node.Server.LogFile, Path.Combine(directory, $"postgresql-{node.Name}.log"));
        }
        if (_etcd is not null)
        {
            SaveEtcdLogs(_etcd, directory);
        }
    }

    /// <summary>Every etcd member's log (etcd's zap log and what it printed), for the record.</summary>
    internal static void SaveEtcdLogs(EtcdCluster etcd, string directory)
    {
        foreach (EtcdClusterMember member in etcd.Members)
        {
            CopyIfThere(member.LogFile, Path.Combine(directory, $"{member.Name}.log"));
            CopyIfThere(member.LogFile + ".out", Path.Combine(directory, $"{member.Name}.out"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Monitors first: a monitor left running while its servers stop would fence, elect, or restart them.
        foreach (IMonitorAgent monitor in _monitors)
        {
            await monitor.DisposeAsync();
        }
        await _servers.DisposeAsync();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
        TestDirectories.Delete(_directory);
    }

    internal static void CopyIfThere(string source, string target)
    {
        try
        {
            File.Copy(source, target, overwrite: true);
        }
        catch (IOException)
        {
            // A server that never started has no log; the round's own record says what went wrong.
        }
    }

    private static string Conninfo(BenchNode node) => node.Server.ConninfoFor("pgha");

    /// <summary>Through the Unix socket: the monitor still reaches its own server when the node's address is cut off (as in the failover tests).</summary>
    private static string SocketConninfo(BenchNode node) =>
        $"host={node.Server.SocketDirectory} port={node.Server.Port} user={PostgresServer.Superuser} dbname=pgha";

    private string ConfigFile(BenchNode node) => Path.Combine(_directory, $"{node.Name}.psd1");

    /// <summary>
    /// What the systemd example expects on each node, in this cluster's folder: /etc/pgha/&lt;name&gt;.psd1 (the node, its
    /// conninfo and data directory, and Failover = 'Automatic', which the unit's comment says the file must set), the log
    /// and state folders (its LogsDirectory= and StateDirectory=) and the monitor user's home with the cluster secret,
    /// all belonging to postgres.
    /// </summary>
    private async Task WriteShippedFilesAsync(CancellationToken cancellationToken)
    {
        var ids = _session.Invoke("Get-PgHaNode", new Dictionary<string, object?> { ["Conninfo"] = Nodes.Select(Conninfo).ToArray() }, cancellationToken)
            .ToDictionary(n => (string)n.Properties["Name"].Value, n => Convert.ToInt32(n.Properties["Id"].Value, CultureInfo.InvariantCulture));
        foreach (BenchNode node in Nodes)
        {
            await File.WriteAllLinesAsync(ConfigFile(node),
            [
                "@{",
                $"    NodeId        = {ids[node.Name]}",
                $"    NodeName      = '{node.Name}'",
                $"    Conninfo      = '{Conninfo(node)}'",
                $"    DataDirectory = '{node.Server.DataDirectory}'",
                "    Failover      = 'Automatic'",
                .. (_shipped?.NodeConfig ?? new Dictionary<string, string>()).Select(setting => $"    {setting.Key} = {setting.Value}"),
                "}",
            ], cancellationToken);
        }
        Directory.CreateDirectory(Path.Combine(_directory, "log"));
        Directory.CreateDirectory(Path.Combine(_directory, "state"));
        await FixtureCommand.RunCheckedAsync("chown", ["-R", $"{FixtureCommand.PostgresUser}:{FixtureCommand.PostgresUser}", _directory], cancellationToken);
        await FixtureCommand.RunCheckedAsync("chmod", ["700", HomeDirectory], cancellationToken);
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        Register("Primary", Nodes[0], cancellationToken);
        foreach (BenchNode standby in Nodes.Skip(1))
        {
            // Register-PgHaNode -Role Primary made the pgha database; a standby is registered once it has replayed it.
            await Polling.UntilAsync(async () => await standby.Server.QueryScalarAsync("SELECT count(*) FROM pg_database WHERE datname = 'pgha'", cancellationToken: cancellationToken) == "1",
                TimeSpan.FromSeconds(30), cancellationToken);
            Register("Standby", standby, cancellationToken);
        }
    }

    private void Register(string role, BenchNode node, CancellationToken cancellationToken)
    {
        _session.Invoke("Register-PgHaNode", new Dictionary<string, object?>
        {
            ["Role"] = role,
            ["Name"] = node.Name,
            ["Conninfo"] = Conninfo(node),
            ["DataDirectory"] = node.Server.DataDirectory,
            ["MonitorPort"] = LoopbackAddresses.FreePort(node.Server.Address),
        }, cancellationToken);
    }
}

/// <summary>
/// How shipped monitors are started: the pinned pwsh's pwsh.dll, in a place the postgres user can read. LocalSocket
/// adds -LocalConninfo through the node's Unix socket (Start-PgHaMonitor's help, example 2): not in the systemd
/// example, so a bench-only setting, reported as such. NodeConfig: more settings in each node's .psd1 (a documented
/// node-configuration setting, as an operator would write it; the variant's label names them).
/// </summary>
public sealed record ShippedLaunch(string PwshDll, bool LocalSocket = false)
{
    public IReadOnlyDictionary<string, string> NodeConfig { get; init; } = new Dictionary<string, string>();
}
