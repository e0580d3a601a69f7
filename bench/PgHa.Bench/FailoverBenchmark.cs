using System.Globalization;
using PgHa.Bench.Failover;
using PgHa.Bench.Hosting;

namespace PgHa.Bench;

/// <summary>
/// Failover as users run it (issues 5 and 15): on a fresh 3-node cluster per round, the primary fails and the
/// time to the first write on the new primary is measured, for PgHa's monitors started as the shipped systemd
/// example starts them and for repmgrd 5.3.3 at the same detection settings (PgHa's defaults), each under two
/// faults: kill -9 of the postmaster (its agent lives on), and the whole node lost (agent and server killed at
/// once). Optionally (e) a 1.5 s network blip of the primary under the shipped monitors, which must not fail
/// over, and (x) the same blip with a bench-only -LocalConninfo, to compare. With etcd deciding (issues 10 and 15): (f)/(g)
/// PgHa's shipped monitors with a 3-member etcd recorded by Set-PgHaConsensus, and Patroni 3.0.2 on the same kind of etcd
/// at its defaults, (p)/(q), and at PgHa's settings where it has them, (r)/(s), under the same two faults. Rounds are interleaved (round 1 of every variant, then round 2...) so the machine's other work weighs on
/// all alike. Writes bench/results/failover.md and each round's agent and server logs under
/// bench/results/failover-logs/.
/// </summary>
public sealed class FailoverBenchmark : IBenchmark
{
    private static readonly TimeSpan BlipLength = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan BlipWatch = TimeSpan.FromSeconds(10);

    /// <summary>Every node of every variant: the fixtures' settings with fsync back on (initdb's default, what users run).</summary>
    private static readonly IReadOnlyDictionary<string, string> ServerSettings = new Dictionary<string, string> { ["fsync"] = "on" };

    public string Name => "failover";

    public string Description => "primary lost (kill -9, whole node) to the first write on the new one: PgHa's shipped monitors (built-in quorum or etcd), repmgrd and Patroni on etcd";

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("failover: run as root (servers run as the postgres OS user; the blip needs nftables).");
            return 1;
        }
        if (!TryParse(arguments, out int rounds, out string variants, out DetectionSettings repmgrd, out string? pwshDll))
        {
            Console.Error.WriteLine("usage: PgHa.Bench failover --pwsh <pwsh.dll readable by postgres> [--rounds N] [--variants abcdefghijkpqrsx] [--monitor-interval S] [--reconnect-attempts N] [--reconnect-interval S]");
            Console.Error.WriteLine("  default: 3 rounds of abcd; repmgrd at monitor 1 s, 7 x 1 s (PgHa's defaults). Variants: a/b PgHa kill -9 / node lost,");
            Console.Error.WriteLine("  c/d repmgrd kill -9 / node lost, e a 1.5 s blip under PgHa, x the same blip with -LocalConninfo (bench-only),");
            Console.Error.WriteLine("  f/g PgHa with etcd kill -9 / node lost, h/i the same with the leader key kept alive every 1 s (Patroni's cadence at loop_wait 1),");
            Console.Error.WriteLine("  j/k every 1.5 s (the primary rides out an etcd stall of 2 s, Patroni's retry_timeout),");
            Console.Error.WriteLine("  p/q Patroni 3.0.2 on etcd at its defaults, r/s Patroni at PgHa's settings.");
            return 2;
        }
        var shipped = new ShippedLaunch(pwshDll!);
        const string pghaLabel = "PgHa monitors as examples/systemd/pgha-monitor@.service starts them (pwsh as postgres, nice -5, "
            + "Start-PgHaMonitor -Config <node>.psd1 -LogFile -StateFile -ManageServer; the .psd1 sets only the node, its conninfo and data directory and Failover = 'Automatic'; "
            + "no -LocalConninfo: defaults, monitor 1 s, 7 x 1 s, fence timeout 3.5 s)";
        string repmgrdLabel = $"repmgrd 5.3.3 at PgHa's default detection: failover=automatic, monitor_interval_secs={repmgrd.MonitorIntervalSeconds}, reconnect_attempts={repmgrd.ReconnectAttempts}, reconnect_interval={repmgrd.ReconnectIntervalSeconds}";
        const string etcdLabel = "a 3-member etcd 3.4 on loopback (etcd's defaults: heartbeat 100 ms, election 1 s)";
        string pghaEtcdLabel = $"{pghaLabel}, with {etcdLabel} deciding: Set-PgHaConsensus -Backend Etcd while paused (leader lease 4 s at the defaults)";
        string PatroniLabel(PatroniTiming t, string which) => $"Patroni 3.0.2 (Debian) on {etcdLabel}, etcd3 API, {which}: {t.Describe()}; one Patroni per node as postgres, "
            + "REST API on the node's address, its own initdb on node1 and pg_basebackup replicas; no slots, no pg_rewind, watchdog off";
        var labels = new Dictionary<string, string>
        {
            ["a"] = $"{pghaLabel}; kill -9 of the primary's postmaster",
            ["b"] = $"{pghaLabel}; the primary's whole node lost (monitor and every server process killed at once)",
            ["c"] = $"{repmgrdLabel}; kill -9 of the primary's postmaster",
            ["d"] = $"{repmgrdLabel}; the primary's whole node lost (repmgrd and every server process killed at once)",
            ["e"] = $"{pghaLabel}; the primary's address cut off for {BlipLength.TotalSeconds:0.0} s (nftables), then watched for {BlipWatch.TotalSeconds:0} s",
            ["x"] = $"BENCH-ONLY SETTING: (e) with -LocalConninfo through each node's Unix socket added to the monitors' command line (Start-PgHaMonitor's help, example 2; not in the systemd example); the same {BlipLength.TotalSeconds:0.0} s cut, watched {BlipWatch.TotalSeconds:0} s",
            ["f"] = $"{pghaEtcdLabel}; kill -9 of the primary's postmaster",
            ["g"] = $"{pghaEtcdLabel}; the primary's whole node lost (monitor and every server process killed at once)",
            ["h"] = $"{pghaEtcdLabel}, the leader key kept alive at Patroni's cadence at loop_wait 1 (EtcdKeepAliveInterval = 1 in each node's .psd1; shipped default: every 0.25 s); kill -9 of the primary's postmaster",
            ["i"] = $"{pghaEtcdLabel}, the leader key kept alive at Patroni's cadence at loop_wait 1 (EtcdKeepAliveInterval = 1 in each node's .psd1; shipped default: every 0.25 s); the primary's whole node lost (monitor and every server process killed at once)",
            ["j"] = $"{pghaEtcdLabel}, the leader key kept alive every 1.5 s, so that the longest etcd stall the primary rides out is Patroni's retry_timeout 2 (fence timeout 3.5 s - 1.5 s; EtcdKeepAliveInterval = 1.5 in each node's .psd1); kill -9 of the primary's postmaster",
            ["k"] = $"{pghaEtcdLabel}, the leader key kept alive every 1.5 s, so that the longest etcd stall the primary rides out is Patroni's retry_timeout 2 (fence timeout 3.5 s - 1.5 s; EtcdKeepAliveInterval = 1.5 in each node's .psd1); the primary's whole node lost (monitor and every server process killed at once)",
            ["p"] = $"{PatroniLabel(PatroniTiming.Defaults, "Patroni's defaults")}; kill -9 of the primary's postmaster (a write on ANY node counts: at primary_start_timeout 300 Patroni restarts a crashed primary in place)",
            ["q"] = $"{PatroniLabel(PatroniTiming.Defaults, "Patroni's defaults")}; the primary's whole node lost (Patroni and every server process killed at once)",
            ["r"] = $"{PatroniLabel(PatroniTiming.PgHaEquivalent, "PgHa's settings where Patroni has them")}; kill -9 of the primary's postmaster",
            ["s"] = $"{PatroniLabel(PatroniTiming.PgHaEquivalent, "PgHa's settings where Patroni has them")}; the primary's whole node lost (Patroni and every server process killed at once)",
        }.Where(l => variants.Contains(l.Key, StringComparison.Ordinal)).ToDictionary(l => l.Key, l => l.Value);

        string started = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        string loadAtStart = LoadAverage();
        string logs = Path.Combine(RepositoryLayout.ResultsDirectory, "failover-logs");
        if (Directory.Exists(logs))
        {
            Directory.Delete(logs, recursive: true);
        }
        Directory.CreateDirectory(logs);
        var kills = new List<FailoverRoundResult>();
        var blips = new List<BlipRoundResult>();
        var failures = new List<string>();
        using var session = new BenchSession();
        for (int round = 1; round <= rounds; round++)
        {
            foreach (string variant in labels.Keys)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string load = LoadAverage();
                Console.WriteLine($"== round {round}, ({variant}) {labels[variant]}  [load {load}]");
                load = load.Split(' ')[0];
                var clock = System.Diagnostics.Stopwatch.StartNew();
                string prefix = $"fo{variant}{round}";
                IFailoverCluster? cluster = null;
                try
                {
                    cluster = await StartClusterAsync(variant, prefix, session, shipped, repmgrd, cancellationToken);
                    await WriteProbe.CreateTableAsync(cluster.Nodes[0].Server, cancellationToken);
                    await cluster.StartAgentsAsync(cancellationToken);
                    if (variant is "e" or "x")
                    {
                        var blip = await FailoverRound.BlipAsync((PgHaFailoverCluster)cluster, round, BlipLength, BlipWatch, cancellationToken) with { Load = load, Variant = variant };
                        blips.Add(blip);
                        Console.WriteLine($"  cut at {blip.CutAtUtc} UTC, in force {blip.CutSeconds:0.000}-{blip.CutCommandsSeconds:0.000} s; failover: {(blip.FailedOver ? "YES" : "no")} ({blip.Evidence}); " +
                            $"primary's longest write gap {blip.PrimaryLongestWriteGap:0.00} s; most writable at once {blip.MaxWritableAtOnce}; after: {blip.TermsAfter}");
                    }
                    else
                    {
                        var fault = variant is "b" or "d" or "g" or "i" or "k" or "q" or "s" ? PrimaryFault.NodeLost : PrimaryFault.KillPostmaster;
                        var kill = await FailoverRound.FailPrimaryAsync(cluster, fault, variant, round, cancellationToken, restartInPlaceCounts: variant == "p") with { Load = load };
                        kills.Add(kill);
                        Console.WriteLine($"  {fault} of node1 at {kill.KilledAtUtc} UTC; first write on {kill.NewPrimary ?? "-"} after {kill.KillToFirstWrite:0.000} s; " +
                            (kill.KeyGoneAfter is { } gone ? $"leader key gone from etcd after {gone:0.000} s; " : string.Empty) +
                            $"remaining standby follows {kill.PromotionToFollow:0.000} s after that; new primary's longest write gap after {kill.NewPrimaryLongestGap:0.000} s; " +
                            $"most writable at once {kill.MaxWritableAtOnce}; probe rounds {kill.MedianProbeRound * 1000:0} ms (median), {kill.LongestProbeRound * 1000:0} ms (longest)" +
                            (kill.Failure is null ? string.Empty : $"; FAILED: {kill.Failure}"));
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
                {
                    failures.Add($"round {round} ({variant}): {ex.Message}");
                    Console.Error.WriteLine($"  round failed: {ex}");
                    if (variant is not ("e" or "x"))
                    {
                        kills.Add(new FailoverRoundResult(variant, round, "-", "node1", null, null, null, null, 0, string.Empty, 0, 0, "failed: " + ex.Message.Split('\n')[0]) { Load = load });
                    }
                }
                finally
                {
                    if (cluster is not null)
                    {
                        cluster.SaveLogs(Path.Combine(logs, $"{variant}{round}"));
                        await cluster.DisposeAsync();
                    }
                }
                Console.WriteLine($"  ({clock.Elapsed.TotalSeconds:0} s for the round, setup and teardown included)");
            }
        }

        var report = new FailoverReport
        {
            Started = started,
            LoadAtStart = loadAtStart,
            LoadAtEnd = LoadAverage(),
            Labels = labels,
            Kills = kills,
            Blips = blips,
        };
        string markdown = report.ToMarkdown() + (failures.Count == 0 ? string.Empty : "\nRounds that failed:\n" + string.Join("\n", failures.Select(f => "- " + f)) + "\n");
        await File.WriteAllTextAsync(Path.Combine(RepositoryLayout.ResultsDirectory, "failover.md"), markdown, CancellationToken.None);
        Console.WriteLine();
        Console.WriteLine(markdown);
        bool clean = failures.Count == 0 && kills.All(k => k.Failure is null && k.MaxWritableAtOnce <= 1) && blips.All(b => !b.FailedOver && b.MaxWritableAtOnce <= 1);
        return clean ? 0 : 3;
    }

    /// <summary>
    /// The cluster of a variant, every node with <see cref="ServerSettings"/>: one IFailoverCluster per kind of agent (a new
    /// one: started here, its letters in TryParse, the labels above, FailoverReport's pairs and failover.sh).
    /// </summary>
    private static async Task<IFailoverCluster> StartClusterAsync(string variant, string prefix, BenchSession session, ShippedLaunch shipped, DetectionSettings repmgrd, CancellationToken cancellationToken) =>
        variant switch
        {
            "a" or "b" or "e" => await PgHaFailoverCluster.StartAsync(prefix, session, new Dictionary<string, string>(), cancellationToken, shipped, ServerSettings),
            "x" => await PgHaFailoverCluster.StartAsync(prefix, session, new Dictionary<string, string>(), cancellationToken, shipped with { LocalSocket = true }, ServerSettings),
            "c" or "d" => await RepmgrFailoverCluster.StartAsync(prefix, repmgrd, ServerSettings, cancellationToken),
            "f" or "g" => await PgHaFailoverCluster.StartAsync(prefix, session, new Dictionary<string, string>(), cancellationToken, shipped, ServerSettings, etcd: true),
            "h" or "i" => await PgHaFailoverCluster.StartAsync(prefix, session, new Dictionary<string, string>(), cancellationToken,
                shipped with { NodeConfig = new Dictionary<string, string> { ["EtcdKeepAliveInterval"] = "1" } }, ServerSettings, etcd: true),
            "j" or "k" => await PgHaFailoverCluster.StartAsync(prefix, session, new Dictionary<string, string>(), cancellationToken,
                shipped with { NodeConfig = new Dictionary<string, string> { ["EtcdKeepAliveInterval"] = "1.5" } }, ServerSettings, etcd: true),
            "p" or "q" => await PatroniFailoverCluster.StartAsync(prefix, PatroniTiming.Defaults, ServerSettings, cancellationToken),
            "r" or "s" => await PatroniFailoverCluster.StartAsync(prefix, PatroniTiming.PgHaEquivalent, ServerSettings, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "no such variant"),
        };

    private static bool TryParse(IReadOnlyList<string> arguments, out int rounds, out string variants, out DetectionSettings repmgrd, out string? pwshDll)
    {
        rounds = 3;
        variants = "abcd";
        pwshDll = null;
        var defaults = DetectionSettings.PgHaDefaults;
        int monitorInterval = defaults.MonitorIntervalSeconds, reconnectAttempts = defaults.ReconnectAttempts, reconnectInterval = defaults.ReconnectIntervalSeconds;
        repmgrd = defaults;
        for (int i = 0; i < arguments.Count; i += 2)
        {
            if (i + 1 >= arguments.Count)
            {
                return false;
            }
            string value = arguments[i + 1];
            bool ok = arguments[i] switch
            {
                "--rounds" => int.TryParse(value, CultureInfo.InvariantCulture, out rounds) && rounds >= 1,
                "--variants" => (variants = value).Length > 0 && value.All(c => c is (>= 'a' and <= 'k') or (>= 'p' and <= 's') or 'x'),
                "--pwsh" => File.Exists(pwshDll = value),
                "--monitor-interval" => int.TryParse(value, CultureInfo.InvariantCulture, out monitorInterval) && monitorInterval >= 1,
                "--reconnect-attempts" => int.TryParse(value, CultureInfo.InvariantCulture, out reconnectAttempts) && reconnectAttempts >= 1,
                "--reconnect-interval" => int.TryParse(value, CultureInfo.InvariantCulture, out reconnectInterval) && reconnectInterval >= 1,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        repmgrd = new DetectionSettings(monitorInterval, reconnectAttempts, reconnectInterval);
        return pwshDll is not null;
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
