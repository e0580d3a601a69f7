using System.Text;
using PgHa.Bench.Servers;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// The same three servers from the fixtures, run by repmgr 5.3.3 instead: repmgr preloaded, a repmgr
/// database, one repmgr.conf per node (in the node's own directory; failover=automatic, the detection
/// settings under test, promote_command and follow_command as in the repmgr anchor), `repmgr primary
/// register` / `standby register`, and one repmgrd per node. Differences from the anchor's setup.sh: the
/// standbys are cloned by the fixtures (pg_basebackup -X stream -c fast -R) rather than `repmgr standby
/// clone`, repmgr connects as the postgres superuser to a database repmgr, and no replication slots are used
/// (PgHa's nodes have none either); the anchor's sshd is left out, since nothing here switches over.
/// </summary>
public sealed class RepmgrFailoverCluster : IFailoverCluster
{
    public const string Repmgr = PostgresServer.BinDirectory + "/repmgr";

    private readonly BenchCluster _servers;
    private readonly List<RepmgrDaemon> _daemons = [];

    private RepmgrFailoverCluster(BenchCluster servers)
    {
        _servers = servers;
        Nodes = servers.All.Select((s, i) => new BenchNode($"node{i + 1}", s)).ToList();
    }

    public IReadOnlyList<BenchNode> Nodes { get; }

    /// <param name="serverSettings">postgresql.conf settings for every node besides repmgr's preload library (the same as PgHa's nodes get).</param>
    public static async Task<RepmgrFailoverCluster> StartAsync(string prefix, DetectionSettings settings, IReadOnlyDictionary<string, string> serverSettings, CancellationToken cancellationToken)
    {
        var servers = await BenchCluster.StartAsync(prefix, standbyCount: 2, parallelClones: 2, cancellationToken,
            new Dictionary<string, string>(serverSettings) { ["shared_preload_libraries"] = "repmgr" });
        var cluster = new RepmgrFailoverCluster(servers);
        try
        {
            await cluster.RegisterAsync(settings, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task StartAgentsAsync(CancellationToken cancellationToken)
    {
        foreach (BenchNode node in Nodes)
        {
            _daemons.Add(RepmgrDaemon.Start(ConfigFile(node)));
        }
        // repmgrd logs these once it has connected and entered its monitoring loop.
        bool watching = await Polling.UntilAsync(() => Nodes.All(n => LogContains(n, n == Nodes[0] ? "monitoring cluster primary" : "monitoring connection to upstream node"))
            || _daemons.Any(d => d.HasExited), TimeSpan.FromSeconds(60), cancellationToken);
        if (!watching || _daemons.Any(d => d.HasExited))
        {
            throw new InvalidOperationException("Not every repmgrd started monitoring within 60 s.\n" +
                string.Join("\n", Nodes.Select(n => $"--- {LogFile(n)} ---\n{ReadIfThere(LogFile(n))}")));
        }
    }

    public string? Unsteady(CancellationToken cancellationToken)
    {
        int ended = _daemons.FindIndex(d => d.HasExited);
        return ended >= 0 ? $"repmgrd of {Nodes[ended].Name} has exited" : null;
    }

    public IReadOnlyList<int> AgentPids(BenchNode node) => _daemons[Nodes.ToList().IndexOf(node)].Pids;

    public void SaveLogs(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (BenchNode node in Nodes)
        {
            PgHaFailoverCluster.CopyIfThere(LogFile(node), Path.Combine(directory, $"repmgr-{node.Name}.log"));
            PgHaFailoverCluster.CopyIfThere(node.Server.LogFile, Path.Combine(directory, $"postgresql-{node.Name}.log"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RepmgrDaemon daemon in _daemons)
        {
            await daemon.DisposeAsync();
        }
        await _servers.DisposeAsync();
    }

    private static string ConfigFile(BenchNode node) => Path.Combine(node.Server.RootDirectory, "repmgr.conf");

    private static string LogFile(BenchNode node) => Path.Combine(node.Server.RootDirectory, "repmgr.log");

    private static bool LogContains(BenchNode node, string text) => ReadIfThere(LogFile(node)).Contains(text, StringComparison.Ordinal);

    private static string ReadIfThere(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private async Task RegisterAsync(DetectionSettings settings, CancellationToken cancellationToken)
    {
        await Nodes[0].Server.ExecuteAsync("CREATE DATABASE repmgr", cancellationToken: cancellationToken);
        for (int i = 0; i < Nodes.Count; i++)
        {
            await WriteConfigAsync(Nodes[i], i + 1, settings, cancellationToken);
        }
        await RepmgrAsync(Nodes[0], ["primary", "register"], cancellationToken);
        foreach (BenchNode standby in Nodes.Skip(1))
        {
            // primary register created the extension; a standby is registered once it has replayed it (and,
            // before that, the repmgr database itself: until then the query fails).
            await Polling.UntilAsync(async () => await HasRepmgrExtensionAsync(standby, cancellationToken), TimeSpan.FromSeconds(30), cancellationToken);
            await RepmgrAsync(standby, ["standby", "register"], cancellationToken);
        }
    }

    private static async Task<bool> HasRepmgrExtensionAsync(BenchNode node, CancellationToken cancellationToken)
    {
        try
        {
            return await node.Server.QueryScalarAsync("SELECT count(*) FROM pg_extension WHERE extname = 'repmgr'", "repmgr", cancellationToken) == "1";
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task WriteConfigAsync(BenchNode node, int id, DetectionSettings settings, CancellationToken cancellationToken)
    {
        string config = ConfigFile(node);
        string data = node.Server.DataDirectory;
        string pgCtl = PostgresServer.BinDirectory + "/pg_ctl";
        var text = new StringBuilder()
            .AppendLine($"node_id={id}")
            // The fixtures' clones stream with application_name = the server's name, which repmgr matches against node_name.
            .AppendLine($"node_name='{node.Server.Name}'")
            .AppendLine($"conninfo='host={node.Server.Address} port={node.Server.Port} user={PostgresServer.Superuser} dbname=repmgr connect_timeout=2'")
            .AppendLine($"data_directory='{data}'")
            .AppendLine($"pg_bindir='{PostgresServer.BinDirectory}'")
            .AppendLine("location='default'")
            .AppendLine("priority=100")
            .AppendLine("log_level=INFO")
            .AppendLine($"log_file='{LogFile(node)}'")
            .AppendLine($"repmgrd_pid_file='{Path.Combine(node.Server.RootDirectory, "repmgrd.pid")}'")
            .AppendLine("failover=automatic")
            .AppendLine($"promote_command='{Repmgr} standby promote -f {config} --log-to-file'")
            .AppendLine($"follow_command='{Repmgr} standby follow -f {config} --log-to-file --upstream-node-id=%n'")
            .AppendLine($"reconnect_attempts={settings.ReconnectAttempts}")
            .AppendLine($"reconnect_interval={settings.ReconnectIntervalSeconds}")
            .AppendLine($"monitor_interval_secs={settings.MonitorIntervalSeconds}")
            // The fixtures keep each node's address, port and socket in its postgresql.conf, so plain pg_ctl
            // commands serve (the anchor passes them with -o instead); -l keeps the server log in one file.
            .AppendLine($"service_start_command='{pgCtl} -D {data} -l {node.Server.LogFile} -w -t 60 start'")
            .AppendLine($"service_stop_command='{pgCtl} -D {data} -m fast -w -t 60 stop'")
            .AppendLine($"service_restart_command='{pgCtl} -D {data} -l {node.Server.LogFile} -m fast -w -t 60 restart'")
            .AppendLine($"service_reload_command='{pgCtl} -D {data} reload'");
        await File.WriteAllTextAsync(config, text.ToString(), cancellationToken);
        await FixtureCommand.RunCheckedAsync("chown", [$"{FixtureCommand.PostgresUser}:{FixtureCommand.PostgresUser}", config], cancellationToken);
    }

    private static async Task RepmgrAsync(BenchNode node, string[] command, CancellationToken cancellationToken)
    {
        var result = await FixtureCommand.RunAsPostgresAsync(Repmgr, ["-f", ConfigFile(node), .. command], cancellationToken, TimeSpan.FromSeconds(60));
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"repmgr {string.Join(' ', command)} on {node.Name} failed: {result.Describe()}");
        }
    }
}
