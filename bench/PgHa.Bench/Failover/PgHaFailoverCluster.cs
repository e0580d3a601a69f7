using PgHa.Bench.Hosting;
using PgHa.Bench.Servers;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// The failover tests' setup for the benchmark: three servers from the fixtures, registered with
/// Register-PgHaNode (node1 primary, node2-3 standbys, each with its own monitor port), and one
/// Start-PgHaMonitor per node, each in a PgHa.Run process of its own (<see cref="MonitorProcess"/>), reaching
/// its own server through the Unix socket and logging to a file.
/// </summary>
public sealed class PgHaFailoverCluster : IFailoverCluster
{
    private readonly BenchCluster _servers;
    private readonly BenchSession _session;
    private readonly string _directory;
    private readonly Dictionary<string, string> _monitorSettings;
    private readonly List<MonitorProcess> _monitors = [];

    private PgHaFailoverCluster(BenchCluster servers, BenchSession session, string directory, IReadOnlyDictionary<string, string> monitorSettings)
    {
        _servers = servers;
        _session = session;
        _directory = directory;
        // The monitors sign what they say to each other with a cluster secret: one for this cluster, in its folder.
        string secretFile = Path.Combine(directory, "cluster-secret");
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

    /// <summary>
    /// One more Start-PgHaMonitor parameter for every monitor, before <see cref="StartAgentsAsync"/>: for a value that
    /// depends on the servers' addresses, known only once the cluster stands (a port free on all of them).
    /// </summary>
    public void AddMonitorSetting(string name, string value) => _monitorSettings[name] = value;

    /// <param name="monitorSettings">Start-PgHaMonitor parameters by name (e.g. ReconnectAttempts = "4"); empty for its defaults.</param>
    public static async Task<PgHaFailoverCluster> StartAsync(string prefix, BenchSession session, IReadOnlyDictionary<string, string> monitorSettings, CancellationToken cancellationToken)
    {
        string directory = await TestDirectories.CreateAsync(prefix + "-monitors", owner: null, cancellationToken);
        BenchCluster servers;
        try
        {
            servers = await BenchCluster.StartAsync(prefix, standbyCount: 2, parallelClones: 2, cancellationToken);
        }
        catch
        {
            TestDirectories.Delete(directory);
            throw;
        }
        var cluster = new PgHaFailoverCluster(servers, session, directory, monitorSettings);
        try
        {
            await cluster.RegisterAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The standbys' monitors first, then the primary's once they watch it. A primary's monitor fences its
    /// server when no majority has vouched for it for the fence timeout, counted from its own start, so started
    /// first (or all at once on a loaded machine, where a PgHa.Run process takes 1-3 s to start) it fenced the
    /// primary before the others were up: seen in trial runs here, reported with the benchmark.
    /// </summary>
    public async Task StartAgentsAsync(CancellationToken cancellationToken)
    {
        foreach (BenchNode node in Nodes.Skip(1))
        {
            _monitors.Add(MonitorProcess.Start(node.Name, Conninfo(node), SocketConninfo(node), Path.Combine(_directory, node.Name), _monitorSettings));
        }
        await WaitForMonitorsAsync(Nodes.Skip(1).Select(n => n.Name).ToList(), cancellationToken);
        _monitors.Add(MonitorProcess.Start(Nodes[0].Name, Conninfo(Nodes[0]), SocketConninfo(Nodes[0]), Path.Combine(_directory, Nodes[0].Name), _monitorSettings));
        await WaitForMonitorsAsync(Nodes.Select(n => n.Name).ToList(), cancellationToken);
    }

    /// <summary>Until the named monitors run, have checked their node and, on a standby, saw the primary in the last 2 s.</summary>
    private async Task WaitForMonitorsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        // A monitor that refuses its settings (PgHaMonitorUnsafeTimeouts) or cannot start ends at once: no need to wait for it.
        bool running = await Polling.UntilAsync(() =>
        {
            var views = MonitorViews(cancellationToken).Where(v => names.Contains(v.Name)).ToList();
            return _monitors.Any(m => m.HasExited) || (views.Count == names.Count && views.All(v => v.Running && v.HasChecked
                && (v.Name == Nodes[0].Name || v.PrimaryLastSeen > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(2))));
        }, TimeSpan.FromSeconds(90), cancellationToken);
        if (!running || _monitors.Any(m => m.HasExited))
        {
            throw new InvalidOperationException($"Not every PgHa monitor of {string.Join(", ", names)} was running, had checked its node and (on a standby) saw the primary within 90 s.\n"
                + string.Join("\n", _monitors.Select(m => m.Describe())));
        }
    }

    /// <summary>Every monitor's term and primary as it reports them (Get-PgHaMonitor, 1 s per monitor at most).</summary>
    public IReadOnlyList<MonitorView> MonitorViews(CancellationToken cancellationToken) =>
        _session.Invoke("Get-PgHaMonitor", new Dictionary<string, object?> { ["Conninfo"] = Nodes.Select(Conninfo).ToArray() }, cancellationToken)
            .Select(o => new MonitorView((string)o.Properties["Name"].Value, (bool)o.Properties["Running"].Value, o.Properties["LastCheck"].Value is not null,
                (long?)o.Properties["Term"].Value, (string?)o.Properties["Primary"].Value, (DateTimeOffset?)o.Properties["PrimaryLastSeen"].Value))
            .ToList();

    public string? Unsteady(CancellationToken cancellationToken)
    {
        if (_monitors.FirstOrDefault(m => m.HasExited) is { } ended)
        {
            return $"the monitor of {ended.NodeName} has exited";
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
        foreach (MonitorProcess monitor in _monitors)
        {
            File.WriteAllText(Path.Combine(directory, $"monitor-{monitor.NodeName}.log"), monitor.Describe());
        }
        foreach (BenchNode node in Nodes)
        {
            CopyIfThere(node.Server.LogFile, Path.Combine(directory, $"postgresql-{node.Name}.log"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Monitors first: a monitor left running while its servers stop would fence, elect, or restart them.
        foreach (MonitorProcess monitor in _monitors)
        {
            await monitor.DisposeAsync();
        }
        await _servers.DisposeAsync();
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
