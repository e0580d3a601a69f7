using System.Diagnostics;
using System.Globalization;
using System.Text;
using PgHa.Etcd;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;
using Xunit.Abstractions;

namespace PgHa.Tests.Faults;

/// <summary>How a fault scenario's cluster is set up.</summary>
public sealed record FaultClusterOptions
{
    /// <summary>synchronous_standby_names = 'ANY 1 (node1, node2, node3)': a commit waits for one standby.</summary>
    public bool Synchronous { get; init; }

    /// <summary>Start-PgHaMonitor parameters for every monitor (name, value).</summary>
    public IReadOnlyDictionary<string, string>? MonitorSettings { get; init; }

    /// <summary>Nodes whose monitor reaches its own server over TCP (no -LocalConninfo), as the demo starts them.</summary>
    public IReadOnlySet<string> TcpLocalProbe { get; init; } = new HashSet<string>();

    /// <summary>
    /// The elections are decided by a real 3-member etcd on loopback (outside every node's cgroup), recorded in the
    /// metadata before the monitors start (paused, Set-PgHaConsensus, resumed, as an operator does), under
    /// <see cref="FaultCluster.EtcdPrefix"/>. A cut (<see cref="CgroupFirewall.CutOffAsync"/>) cuts the node off
    /// from etcd as well.
    /// </summary>
    public bool Etcd { get; init; }

    /// <summary>
    /// Runs once the cluster is set up (with etcd: etcd started and recorded as the backend) and before the
    /// monitors start: a scenario's state left behind by an earlier life of the cluster (a stale leader key).
    /// </summary>
    public Func<FaultCluster, Task>? BeforeMonitorsStart { get; init; }

    /// <summary>The options of a scenario run on <paramref name="backend"/> (every scenario runs on both).</summary>
    public static FaultClusterOptions For(PgHaConsensusBackend backend) => new() { Etcd = backend == PgHaConsensusBackend.Etcd };
}

/// <summary>
/// A fresh 3-node cluster for one fault scenario (primary node1, standbys node2 and node3), every node's
/// postmaster tree and monitor process in a <see cref="NodeCgroup"/> of its own, a <see cref="CgroupFirewall"/>
/// to cut nodes apart, an <see cref="AckedWriter"/> and a <see cref="WriteWatcher"/> running from the start.
/// The scenario marks when its fault began (<see cref="FaultBegins"/>) and healed (<see cref="FaultHealed"/>);
/// <see cref="FinishAsync"/> waits for the cluster to settle and measures the <see cref="FaultOutcome"/>.
/// </summary>
public sealed class FaultCluster : IAsyncDisposable
{
    /// <summary>The etcd prefix the cluster's keys are under (with <see cref="FaultClusterOptions.Etcd"/>).</summary>
    public const string EtcdPrefix = "/pgha-faults";

    private readonly ITestOutputHelper _output;
    private readonly FaultClusterOptions _options;
    private readonly Dictionary<string, NodeCgroup> _cgroups = [];
    private Task<(string? Primary, double? AllStreaming, Dictionary<string, double> Since)>? _settling;
    private EtcdCluster? _etcd;
    private readonly List<(MonitorProcess Monitor, double At)> _restarted = [];

    private FaultCluster(ITestOutputHelper output, FaultClusterOptions options, MonitoredCluster cluster)
    {
        _output = output;
        _options = options;
        Cluster = cluster;
    }

    public MonitoredCluster Cluster { get; }

    public CgroupFirewall Firewall { get; private set; } = null!;

    public AckedWriter Writer { get; private set; } = null!;

    public WriteWatcher Watcher { get; private set; } = null!;

    public Stopwatch Clock { get; } = new();

    public double? FaultAt { get; private set; }

    public DateTimeOffset FaultAtUtc { get; private set; }

    public double? HealedAt { get; private set; }

    public DateTimeOffset? HealedAtUtc { get; private set; }

    public ClusterMember this[string name] => Cluster[name];

    public NodeCgroup CgroupOf(string name) => _cgroups[name];

    /// <summary>The etcd that decides the elections (only with <see cref="FaultClusterOptions.Etcd"/>).</summary>
    internal EtcdCluster Etcd => _etcd ?? throw new InvalidOperationException("This cluster's elections are not decided by etcd.");

    /// <summary>A client of <see cref="Etcd"/>, as the tests of the store make one (2 s deadline).</summary>
    internal EtcdClient EtcdClient() =>
        new(new EtcdClientSettings(EtcdClientSettings.ParseEndpoints(Etcd.Endpoints)) { RequestTimeout = TimeSpan.FromSeconds(2) });

    /// <summary>The data nodes' system identifier: the cluster id etcd's leader key names its cluster by.</summary>
    public async Task<string> SystemIdentifierAsync() =>
        await Cluster["node1"].Server.QueryScalarAsync("SELECT system_identifier::text FROM pg_control_system()")
            ?? throw new InvalidOperationException("node1 did not answer with its system identifier.");

    /// <summary>
    /// Starts the scenario's cluster. With etcd, the cluster's directory prefix gets "-etcd" (a run's leftovers
    /// say which backend they had) and <see cref="FinishAsync"/> records the scenario as its name + "Etcd".
    /// </summary>
    public static async Task<FaultCluster> StartAsync(ITestOutputHelper output, string prefix, FaultClusterOptions? options = null)
    {
        options ??= new FaultClusterOptions();
        if (options.Etcd)
        {
            prefix += "-etcd";
        }
        var shape = new ClusterShape
        {
            Standbys = 2,
            Settings = options.Synchronous ? new Dictionary<string, string> { ["synchronous_standby_names"] = "ANY 1 (node1, node2, node3)" } : null,
        };
        var cluster = new FaultCluster(output, options, await MonitoredCluster.StartAsync(prefix, shape));
        try
        {
            await cluster.PrepareAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task PrepareAsync()
    {
        var primary = Cluster["node1"].Server;
        await primary.ExecuteAsync(AckedWriter.CreateTableSql + "; " + WriteWatcher.CreateTableSql, "pgha");
        if (_options.Etcd)
        {
            _etcd = await EtcdCluster.StartAsync();
            string conninfo = Cluster["node1"].Conninfo;
            Cluster.Session.Run("Suspend-PgHaMonitor -Conninfo $args[0] -Wait 0 -Confirm:$false -WarningAction SilentlyContinue", conninfo).ThrowIfErrors();
            Cluster.Session.Run("Set-PgHaConsensus -Conninfo $args[0] -Backend Etcd -EtcdEndpoint $args[1] -EtcdPrefix $args[2] -Confirm:$false",
                conninfo, _etcd.Endpoints, EtcdPrefix).ThrowIfErrors();
            Cluster.Session.Run("Resume-PgHaMonitor -Conninfo $args[0] -Wait 0 -Confirm:$false -WarningAction SilentlyContinue", conninfo).ThrowIfErrors();
        }
        int mark = 0;
        foreach (ClusterMember node in Cluster.DataNodes)
        {
            var cgroup = NodeCgroup.Create(node.Name, ++mark);
            _cgroups[node.Name] = cgroup;
            cgroup.AddProcessTree(node.Server.Pid ?? throw new InvalidOperationException($"{node.Name} does not run."));
        }
        Firewall = await CgroupFirewall.CreateAsync(Cluster.DataNodes.Select(n => (_cgroups[n.Name], n.Server.Address)),
            _etcd?.Members.Select(m => m.Address).ToList());
        // The standbys' WAL receivers connected before their cgroups existed, so conntrack has not marked their
        // connections: end them (the walsenders) so they connect again from inside, marked, and a cut cuts them.
        await primary.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_replication");
        foreach (ClusterMember standby in Cluster.DataNodes.Skip(1))
        {
            bool streaming = await Polling.UntilAsync(async () => await Cluster.StreamsFromAsync(standby.Name) == "node1", TimeSpan.FromSeconds(30));
            if (!streaming)
            {
                throw new InvalidOperationException($"{standby.Name} did not stream again from node1 within 30 s of the restart of its WAL receiver.\n{standby.Server.LogTail()}");
            }
        }
        if (_options.BeforeMonitorsStart is { } before)
        {
            await before(this);
        }
        await Cluster.StartMonitorsAsync(start: member => StartMonitor(member, Path.Combine(Cluster.Directory, member.Name)));
        var monitorsRunning = System.Diagnostics.Stopwatch.StartNew();
        Clock.Start();
        var nodes = Cluster.DataNodes.ToList();
        Watcher = WriteWatcher.Start(nodes, Clock);
        Writer = AckedWriter.Start(nodes, Clock);
        bool writing = await Polling.UntilAsync(() => Writer.Count >= 20, TimeSpan.FromSeconds(20));
        if (!writing)
        {
            throw new InvalidOperationException("The writer got no 20 writes acknowledged by node1 within 20 s.\n" + MonitorDigest());
        }
        // The fault meets the cluster as it runs for days, not in its monitors' first seconds: a member gives a
        // primary it did not vote for one whole detection window from the start of its watch before the early
        // vote-out applies (LeaderWatch.HasFailed). The condition is the time itself, so this is a wait for it.
        TimeSpan steady = new PgHa.Operations.Monitor.MonitorSettings().DetectionWindow + TimeSpan.FromMilliseconds(500) - monitorsRunning.Elapsed;
        if (steady > TimeSpan.Zero)
        {
            await Task.Delay(steady);
        }
    }

    private MonitorProcess StartMonitor(ClusterMember member, string directory, IReadOnlyDictionary<string, string>? extra = null)
    {
        // Every monitor of the cluster gets its secret (the peer protocol is signed).
        var settings = new Dictionary<string, string>(_options.MonitorSettings ?? new Dictionary<string, string>()) { ["SecretFile"] = Cluster.SecretFile };
        foreach (var (name, value) in extra ?? new Dictionary<string, string>())
        {
            settings[name] = value;
        }
        return MonitorProcess.Start(member.Name, member.Conninfo, _options.TcpLocalProbe.Contains(member.Name) ? null : member.SocketConninfo,
            directory, settings, _cgroups.TryGetValue(member.Name, out var cgroup) ? cgroup.ProcsFile : null);
    }

    /// <summary>
    /// Starts the node's monitor again (after it was killed, or at a reboot), in the node's cgroup, as the systemd
    /// example does: with -ManageServer, so that it starts a stopped server itself (never writable).
    /// </summary>
    public MonitorProcess RestartMonitor(string name)
    {
        var monitor = StartMonitor(Cluster[name], Path.Combine(Cluster.Directory, name), new Dictionary<string, string> { ["ManageServer"] = "true" }); // its log goes on in the same file
        Cluster.ReplaceMonitor(monitor);
        _restarted.Add((monitor, Clock.Elapsed.TotalSeconds));
        return monitor;
    }

    /// <summary>
    /// The monitor restarted no later than the heal (the last one), and how long after the heal it began running
    /// (its process start: runtime, PowerShell, module), from its own log line's time; null when none was.
    /// </summary>
    private (string Node, double Start)? RestartedMonitorAtHeal()
    {
        double healed = HealedAt ?? double.MaxValue;
        var (monitor, at) = _restarted.LastOrDefault(r => r.At <= healed + 0.5);
        if (monitor is null || monitor.RunningSinceUtc() is not { } running || HealedAtUtc is not { } healedUtc)
        {
            return null;
        }
        return (monitor.NodeName, Math.Max(0, (running - healedUtc.UtcDateTime).TotalSeconds));
    }

    /// <summary>
    /// Heal to every node streaming from <paramref name="primary"/>, where the node whose monitor was restarted at
    /// the heal counts from when that monitor ran (at most <see cref="FaultOutcome.MaxRestartedMonitorStart"/> is
    /// taken off, so that a module that loads slower still shows): the other nodes count from the heal.
    /// </summary>
    internal static double? AllStreamingOnceRunning(string? primary, double? allStreaming, Dictionary<string, double> streamingSince, (string Node, double Start)? restarted)
    {
        if (primary is null || allStreaming is null || restarted is not { } r)
        {
            return allStreaming;
        }
        double taken = Math.Min(r.Start, FaultOutcome.MaxRestartedMonitorStart);
        return streamingSince.Where(s => s.Key.EndsWith("->" + primary, StringComparison.Ordinal))
            .Select(s => s.Key.StartsWith(r.Node + "->", StringComparison.Ordinal) ? Math.Max(0, s.Value - taken) : s.Value)
            .DefaultIfEmpty(allStreaming.Value).Max();
    }

    /// <summary>A line in the test output, with the time on the fault clock.</summary>
    public void Log(string line) => _output.WriteLine($"{Clock.Elapsed.TotalSeconds:0.000} s: {line}");

    public void FaultBegins()
    {
        FaultAt = Clock.Elapsed.TotalSeconds;
        FaultAtUtc = DateTimeOffset.UtcNow;
        _output.WriteLine($"fault at {FaultAt:0.000} s ({FaultAtUtc:HH:mm:ss.fff} UTC)");
    }

    /// <summary>The fault is over (uncut, thawed, restarted); for faults the test does not undo, when the cluster has a new primary.</summary>
    public void FaultHealed()
    {
        HealedAt = Clock.Elapsed.TotalSeconds;
        HealedAtUtc = DateTimeOffset.UtcNow;
        _output.WriteLine($"healed at {HealedAt:0.000} s ({HealedAtUtc:HH:mm:ss.fff} UTC)");
        _settling = Task.Run(SettleAsync);
    }

    /// <summary>
    /// From the heal on, up to 60 s: waits for one writable node that every other node streams from. Runs in the
    /// background from <see cref="FaultHealed"/>, so a scenario's own watch after the heal does not delay it.
    /// </summary>
    private async Task<(string? Primary, double? AllStreaming, Dictionary<string, double> Since)> SettleAsync()
    {
        HealedAt ??= Clock.Elapsed.TotalSeconds;
        string? primary = null;
        double? allStreaming = null;
        var streamingSince = new Dictionary<string, double>(); // "standby->primary" -> first seen so after the heal
        await Polling.UntilAsync(async () =>
        {
            var writable = (await Cluster.WritableAsync()).Where(w => w.Value == true).Select(w => w.Key).ToList();
            if (writable.Count != 1)
            {
                return false;
            }
            bool all = true;
            foreach (ClusterMember other in Cluster.DataNodes.Where(n => n.Name != writable[0]))
            {
                if (await Cluster.StreamsFromAsync(other.Name) != writable[0])
                {
                    all = false;
                }
                else
                {
                    streamingSince.TryAdd($"{other.Name}->{writable[0]}", Clock.Elapsed.TotalSeconds - HealedAt.Value);
                }
            }
            if (!all)
            {
                return false;
            }
            primary = writable[0];
            allStreaming = Math.Max(0, Clock.Elapsed.TotalSeconds - HealedAt.Value);
            return true;
        }, TimeSpan.FromSeconds(60));
        return (primary, allStreaming, streamingSince);
    }

    /// <summary>Waits (with a deadline) until a data node other than <paramref name="former"/> takes writes; its name, or null.</summary>
    public Task<string?> WaitForNewPrimaryAsync(string former, TimeSpan deadline) => Cluster.WaitForNewPrimaryAsync(former, deadline);

    /// <summary>The node's id in the metadata.</summary>
    public async Task<int> NodeIdAsync(string name) =>
        int.Parse(await Cluster["node1"].Server.QueryScalarAsync($"SELECT node_id FROM pgha.nodes WHERE node_name = '{name}'", "pgha") ?? "0", CultureInfo.InvariantCulture);

    /// <summary>
    /// Waits up to 60 s after the heal for one writable node that every other node streams from, then stops the
    /// writer and the watcher and measures what the scenario did. Writes the outcome to the test output and to
    /// PGHA_FAULTS_RESULTS, as <paramref name="scenario"/> on the built-in quorum and <paramref name="scenario"/>
    /// + "Etcd" with etcd deciding (the bench table's rows: KillPostmaster, KillPostmasterEtcd, ...).
    /// </summary>
    public async Task<FaultOutcome> FinishAsync(string scenario, double? twoWritableBound = null)
    {
        if (_options.Etcd)
        {
            scenario += "Etcd";
        }
        double fault = FaultAt ?? throw new InvalidOperationException("The scenario never said when its fault began.");
        HealedAt ??= Clock.Elapsed.TotalSeconds;
        var (primary, allStreaming, streamingSince) = await (_settling ?? SettleAsync());
        await Writer.StopAsync();
        double watchEnd = Clock.Elapsed.TotalSeconds;
        WriteWatch watch = await Watcher.StopAsync();
        var writableAtEnd = (await Cluster.WritableAsync()).Where(w => w.Value == true).Select(w => w.Key).ToList();
        primary ??= writableAtEnd.Count == 1 ? writableAtEnd[0] : null;

        (string Node, double Start)? restarted = RestartedMonitorAtHeal();
        IReadOnlyList<AckedWrite> acked = Writer.Acked;
        var lost = new List<AckedWrite>();
        if (primary is not null)
        {
            var server = Cluster[primary].Server;
            string? present = null;
            // A loaded machine refuses a Unix socket connect now and then (its backlog full): asked again, with a deadline.
            await Polling.UntilAsync(async () =>
            {
                try
                {
                    present = await WireClient.QueryScalarOverSocketAsync(server.SocketDirectory, server.Port, "pgha",
                        $"SELECT coalesce(string_agg(id::text, ','), '') FROM {AckedWriter.Table}", TimeSpan.FromSeconds(10));
                    return true;
                }
                catch (WireException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(20));
            if (present is null)
            {
                throw new InvalidOperationException($"The acknowledged ids could not be read from {primary} within 20 s.");
            }
            var ids = present.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToHashSet();
            lost = acked.Where(a => !ids.Contains(a.Id)).ToList();
        }
        var outcome = new FaultOutcome
        {
            Scenario = scenario,
            Synchronous = _options.Synchronous,
            FaultAtUtc = FaultAtUtc,
            MaxWritableAtOnce = watch.MaxWritableAtOnce,
            TwoWritableSeconds = watch.TwoWritableSeconds,
            TwoWritableBound = twoWritableBound,
            AckedWrites = acked.Count,
            LostAckedWrites = primary is null ? acked.Count : lost.Count,
            LostByNode = primary is null ? "no primary to check" : string.Join(" ", lost.GroupBy(l => l.Node).Select(g => $"{g.Key}={g.Count()} ({g.Min(l => l.At) - fault:0.00}..{g.Max(l => l.At) - fault:0.00} s after the fault)")),
            PrimariesAtEnd = writableAtEnd.Count,
            FinalPrimary = primary,
            TimeToOnePrimary = primary is null ? null : watch.OnePrimaryAfter(primary, fault),
            TimeToAllStreaming = allStreaming,
            RestartedMonitorStart = restarted?.Start,
            TimeToAllStreamingOnceRunning = AllStreamingOnceRunning(primary, allStreaming, streamingSince, restarted),
            LongestWithoutWrites = watch.LongestWithoutWrites(fault, watchEnd),
        };
        string writes = string.Join(", ", watch.Accepted.Select(a => $"{a.Key}: {a.Value.Count(t => t >= fault)} probes accepted after the fault, last at {a.Value.DefaultIfEmpty(double.NaN).Max() - fault:0.00} s"));
        _output.WriteLine(outcome.ToString());
        _output.WriteLine("streaming after the heal: " + string.Join(", ", streamingSince.Select(s => $"{s.Key} at {s.Value:0.00} s")));
        _output.WriteLine($"watch: two writable from {watch.FirstTwoWritableAt - fault:0.000} to {watch.LastTwoWritableAt - fault:0.000} s after the fault; {writes}");
        outcome.Record();
        return outcome;
    }

    /// <summary>Fails the test with the outcome and the monitors' digest when a claim broke.</summary>
    public void AssertHolds(FaultOutcome outcome) => Xunit.Assert.True(outcome.Passed, outcome + "\n" + MonitorDigest());

    /// <summary>The monitors' warnings and more (no debug lines), the last lines of each, for a failure message.</summary>
    public string MonitorDigest(int linesPerMonitor = 40)
    {
        var text = new StringBuilder();
        foreach (MonitorProcess monitor in Cluster.Monitors)
        {
            var lines = File.Exists(monitor.LogFile) ? File.ReadAllLines(monitor.LogFile).Where(l => !l.Contains("[Debug]", StringComparison.OrdinalIgnoreCase)).ToList() : [];
            text.AppendLine($"--- {monitor.NodeName} (pid {monitor.Pid}) ---");
            foreach (string line in lines.Skip(Math.Max(0, lines.Count - linesPerMonitor)))
            {
                text.AppendLine(line);
            }
        }
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (NodeCgroup cgroup in _cgroups.Values)
        {
            await File.WriteAllTextAsync(Path.Combine(cgroup.Directory, "cgroup.freeze"), "0");
        }
        if (Writer is not null)
        {
            await Writer.DisposeAsync();
        }
        if (Watcher is not null)
        {
            await Watcher.DisposeAsync();
        }
        if (Firewall is not null)
        {
            await Firewall.DisposeAsync();
        }
        _output.WriteLine(Cluster.DescribeMonitors());
        await Cluster.DisposeAsync();
        foreach (NodeCgroup cgroup in _cgroups.Values)
        {
            cgroup.Dispose();
        }
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }
}
