using System.Globalization;
using PgHa.Bench.Failover;
using PgHa.Bench.Hosting;

namespace PgHa.Bench;

/// <summary>
/// Issue 5's benchmark: kill -9 of the primary's postmaster to the first write on the new primary, on a
/// fresh 3-node cluster per round, for (a) PgHa's monitors at their defaults, (b) PgHa's monitors and (c)
/// repmgrd 5.3.3 at equal detection settings, and (d) a 1.5 s network blip of the primary under PgHa's
/// defaults, which must not fail over. Rounds are interleaved (round 1 of a, b, c, d, then round 2...) so
/// the machine's other work weighs on every variant alike. Writes bench/results/failover.md and each
/// round's agent and server logs under bench/results/failover-logs/.
/// </summary>
public sealed class FailoverBenchmark : IBenchmark
{
    private static readonly TimeSpan BlipLength = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan BlipWatch = TimeSpan.FromSeconds(10);

    public string Name => "failover";

    public string Description => "kill -9 of the primary to the first write on the new one: PgHa monitors and repmgrd; a 1.5 s blip";

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("failover: run as root (servers run as the postgres OS user; the blip needs nftables).");
            return 1;
        }
        if (!TryParse(arguments, out int rounds, out string variants, out DetectionSettings equal))
        {
            Console.Error.WriteLine("usage: PgHa.Bench failover [--rounds N] [--variants abcd] [--monitor-interval S] [--reconnect-attempts N] [--reconnect-interval S] [--fence-timeout S]");
            Console.Error.WriteLine("  default: 3 rounds of every variant; (b) and (c) at monitor 1 s, 4 x 1 s; (b) with -FenceTimeout 0.75");
            return 2;
        }
        var labels = new Dictionary<string, string>
        {
            ["a"] = "PgHa monitors at their defaults (Start-PgHaMonitor without timing parameters: monitor 1 s, 7 x 1 s, fence timeout 3.5 s, as in MonitorSettings)",
            ["b"] = $"PgHa monitors at the detection settings given to repmgrd: -MonitorInterval {equal.MonitorIntervalSeconds} -ReconnectAttempts {equal.ReconnectAttempts} -ReconnectInterval {equal.ReconnectIntervalSeconds}, and -FenceTimeout {equal.FenceTimeout}",
            ["c"] = $"repmgrd 5.3.3: failover=automatic, monitor_interval_secs={equal.MonitorIntervalSeconds}, reconnect_attempts={equal.ReconnectAttempts}, reconnect_interval={equal.ReconnectIntervalSeconds}",
            ["d"] = $"PgHa monitors at their defaults; the primary's address cut off for {BlipLength.TotalSeconds:0.0} s (nftables), then watched for {BlipWatch.TotalSeconds:0} s",
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
                    cluster = variant == "c"
                        ? await RepmgrFailoverCluster.StartAsync(prefix, equal, cancellationToken)
                        : await PgHaFailoverCluster.StartAsync(prefix, session, variant == "b" ? equal.MonitorParameters : new Dictionary<string, string>(), cancellationToken);
                    await WriteProbe.CreateTableAsync(cluster.Nodes[0].Server, cancellationToken);
                    await cluster.StartAgentsAsync(cancellationToken);
                    if (variant == "d")
                    {
                        var blip = await FailoverRound.BlipAsync((PgHaFailoverCluster)cluster, round, BlipLength, BlipWatch, cancellationToken) with { Load = load };
                        blips.Add(blip);
                        Console.WriteLine($"  cut at {blip.CutAtUtc} UTC, in force {blip.CutSeconds:0.000}-{blip.CutCommandsSeconds:0.000} s; failover: {(blip.FailedOver ? "YES" : "no")} ({blip.Evidence}); " +
                            $"primary's longest write gap {blip.PrimaryLongestWriteGap:0.00} s; most writable at once {blip.MaxWritableAtOnce}; after: {blip.TermsAfter}");
                    }
                    else
                    {
                        var kill = await FailoverRound.KillPrimaryAsync(cluster, variant, round, cancellationToken) with { Load = load };
                        kills.Add(kill);
                        Console.WriteLine($"  killed node1 at {kill.KilledAtUtc} UTC; first write on {kill.NewPrimary ?? "-"} after {kill.KillToFirstWrite:0.000} s; " +
                            $"remaining standby follows {kill.PromotionToFollow:0.000} s after that; new primary's longest write gap after {kill.NewPrimaryLongestGap:0.000} s; " +
                            $"most writable at once {kill.MaxWritableAtOnce}; probe rounds {kill.MedianProbeRound * 1000:0} ms (median), {kill.LongestProbeRound * 1000:0} ms (longest)" +
                            (kill.Failure is null ? string.Empty : $"; FAILED: {kill.Failure}"));
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
                {
                    failures.Add($"round {round} ({variant}): {ex.Message}");
                    Console.Error.WriteLine($"  round failed: {ex}");
                    if (variant != "d")
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
            Equal = equal,
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

    private static bool TryParse(IReadOnlyList<string> arguments, out int rounds, out string variants, out DetectionSettings equal)
    {
        rounds = 3;
        variants = "abcd";
        int monitorInterval = 1, reconnectAttempts = 4, reconnectInterval = 1;
        double fenceTimeout = 0.75; // the largest fence timeout Start-PgHaMonitor accepts with a 4 x 1 s window at a 1 s interval
        equal = null!;
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
                "--variants" => (variants = value).Length > 0 && value.All(c => c is >= 'a' and <= 'd'),
                "--monitor-interval" => int.TryParse(value, CultureInfo.InvariantCulture, out monitorInterval) && monitorInterval >= 1,
                "--reconnect-attempts" => int.TryParse(value, CultureInfo.InvariantCulture, out reconnectAttempts) && reconnectAttempts >= 1,
                "--reconnect-interval" => int.TryParse(value, CultureInfo.InvariantCulture, out reconnectInterval) && reconnectInterval >= 1,
                "--fence-timeout" => double.TryParse(value, CultureInfo.InvariantCulture, out fenceTimeout) && fenceTimeout > 0,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        equal = new DetectionSettings(monitorInterval, reconnectAttempts, reconnectInterval, fenceTimeout);
        return true;
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
