using System.Globalization;
using System.Text;
using PgHa.Bench.Failover;
using PgHa.Bench.Hosting;
using PgHa.Bench.Proxy;
using PgHa.Tests.Health;

namespace PgHa.Bench;

/// <summary>
/// Issue 13's benchmark: the write outage a client sees through HAProxy (examples/haproxy/haproxy.cfg, checks on
/// the monitors' /primary) during a switchover and during a kill -9 failover, beside the write gap of the servers
/// themselves. A fresh 3-node cluster with PgHa monitors at their defaults per round (the failover benchmark's
/// setup plus -HttpPort), HAProxy 2.6 from Debian in front; per round one switchover and one failover
/// (<see cref="ProxyRound"/>). Writes bench/results/proxy-outage.md and each round's monitor, server and HAProxy
/// logs under bench/results/proxy-outage-logs/.
/// </summary>
public sealed class ProxyOutageBenchmark : IBenchmark
{
    public string Name => "proxy-outage";

    public string Description => "write outage through HAProxy (/primary checks) in a switchover and a kill -9 failover, beside the direct gap";

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("proxy-outage: run as root (servers run as the postgres OS user).");
            return 1;
        }
        int rounds = 5;
        if (arguments.Count is not (0 or 2) || (arguments.Count == 2 && (arguments[0] != "--rounds" || !int.TryParse(arguments[1], CultureInfo.InvariantCulture, out rounds) || rounds < 1)))
        {
            Console.Error.WriteLine("usage: PgHa.Bench proxy-outage [--rounds N]   (default 5)");
            return 2;
        }
        if (!File.Exists(HaproxyProcess.Binary))
        {
            Console.Error.WriteLine($"proxy-outage: {HaproxyProcess.Binary} is missing: run tools/setup.sh (it installs haproxy).");
            return 1;
        }

        string started = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        string loadAtStart = LoadAverage();
        string logs = Path.Combine(RepositoryLayout.ResultsDirectory, "proxy-outage-logs");
        if (Directory.Exists(logs))
        {
            Directory.Delete(logs, recursive: true);
        }
        Directory.CreateDirectory(logs);
        var results = new List<ProxyEventResult>();
        using var session = new BenchSession();
        for (int round = 1; round <= rounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Console.WriteLine($"== round {round}  [load {LoadAverage()}]");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            PgHaFailoverCluster? cluster = null;
            HaproxyProcess? proxy = null;
            try
            {
                cluster = await PgHaFailoverCluster.StartAsync($"px{round}", session, new Dictionary<string, string>(), cancellationToken);
                // This round's cluster secret, for the session's Get-PgHaMonitor and Invoke-PgHaSwitchover (cleared after the round).
                Environment.SetEnvironmentVariable("PGHA_CLUSTER_SECRET_FILE", cluster.SecretFile);
                int httpPort = HealthPorts.FreeOnAll(cluster.Nodes.Select(n => n.Server.Address));
                cluster.AddMonitorSetting("HttpPort", httpPort.ToString(CultureInfo.InvariantCulture));
                await WriteProbe.CreateTableAsync(cluster.Nodes[0].Server, cancellationToken);
                await ProxyWriteProbe.CreateTableAsync(cluster.Nodes[0].Server, cancellationToken);
                await cluster.StartAgentsAsync(cancellationToken);
                proxy = await HaproxyProcess.StartAsync(Path.Combine(cluster.MonitorDirectory, "haproxy"),
                    cluster.Nodes.Select(n => new HaproxyBackend(n.Name, n.Server.Address, n.Server.Port, httpPort)).ToList());
                foreach (ProxyEventResult result in await ProxyRound.RunAsync(cluster, session, proxy, httpPort, round, cancellationToken))
                {
                    results.Add(result);
                    Console.WriteLine($"  {result.Event}: direct gap {S(result.DirectGap)} s, /primary 200 on {result.NewPrimary ?? "-"} after {S(result.Primary200After)} s, " +
                        $"first write through HAProxy after {S(result.ProxyFirstWriteAfter)} s, outage through HAProxy {S(result.ProxyOutage)} s ({result.FailedProxyWrites} failed writes), " +
                        $"gap through HAProxy {S(result.ProxyGap)} s" + (result.Failure is null ? string.Empty : $"; FAILED: {result.Failure}"));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
            {
                Console.Error.WriteLine($"  round failed: {ex}");
                results.Add(new ProxyEventResult(round, "-", LoadAverage().Split(' ')[0], null, null, null, null, null, null, null, 0, 0, "failed: " + ex.Message.Split('\n')[0]));
            }
            finally
            {
                if (proxy is not null)
                {
                    string output = proxy.Output;
                    await proxy.DisposeAsync();
                    Directory.CreateDirectory(Path.Combine(logs, $"round{round}"));
                    await File.WriteAllTextAsync(Path.Combine(logs, $"round{round}", "haproxy.log"), output, CancellationToken.None);
                }
                if (cluster is not null)
                {
                    cluster.SaveLogs(Path.Combine(logs, $"round{round}"));
                    await cluster.DisposeAsync();
                }
                Environment.SetEnvironmentVariable("PGHA_CLUSTER_SECRET_FILE", null);
            }
            Console.WriteLine($"  ({clock.Elapsed.TotalSeconds:0} s for the round, setup and teardown included)");
        }

        string markdown = Report(started, loadAtStart, LoadAverage(), results);
        await File.WriteAllTextAsync(Path.Combine(RepositoryLayout.ResultsDirectory, "proxy-outage.md"), markdown, CancellationToken.None);
        Console.WriteLine();
        Console.WriteLine(markdown);
        return results.All(r => r.Failure is null && r.MaxWritableAtOnce <= 1) ? 0 : 3;
    }

    private static string Report(string started, string loadAtStart, string loadAtEnd, IReadOnlyList<ProxyEventResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine($"# proxy-outage benchmark, {started} UTC").AppendLine();
        text.AppendLine($"2 cores shared with other work; load average (1/5/15 min) at the start {loadAtStart}, at the end {loadAtEnd}.").AppendLine();
        text.AppendLine("Times after the event (the Invoke-PgHaSwitchover call's start, or the kill): the first write the new primary took directly, its monitor's first 200 on /primary, the first write through HAProxy it took. " +
            "The monitor's share is the promotion (first direct write) to /primary 200; HAProxy's share is /primary 200 to the first write through it (the example checks an up node every 1 s and a down one every 250 ms).").AppendLine();
        text.AppendLine("| Round | Event | Load | Direct write gap s | First direct write after s | /primary 200 after s | First write through HAProxy after s | Monitor's share s | HAProxy's share s | Outage through HAProxy s (first failed -> first ok) | Gap through HAProxy s (last ok -> first ok) | Failed writes | <= direct + 1 s | Most writable at once | Note |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|");
        foreach (ProxyEventResult r in results)
        {
            text.AppendLine($"| {r.Round} | {r.Event} | {r.Load} | {S(r.DirectGap)} | {S(r.DirectFirstWriteAfter)} | {S(r.Primary200After)} | {S(r.ProxyFirstWriteAfter)} | " +
                $"{S(r.Primary200After - r.DirectFirstWriteAfter)} | {S(r.ProxyFirstWriteAfter - r.Primary200After)} | {S(r.ProxyOutage)} | {S(r.ProxyGap)} | " +
                $"{r.FailedProxyWrites} | {(r.Met is { } met ? (met ? "yes" : "**no**") : "-")} | {r.MaxWritableAtOnce} | {r.Failure ?? string.Empty} |");
        }
        text.AppendLine();
        text.AppendLine("| Event | Rounds | Direct write gap s, median (min-max) | Monitor's share s | HAProxy's share s | Outage through HAProxy s | Gap through HAProxy s | Outage <= direct gap + 1 s |");
        text.AppendLine("|---|---:|---|---|---|---|---|---|");
        foreach (var group in results.Where(r => r.Failure is null).GroupBy(r => r.Event.StartsWith("switchover", StringComparison.Ordinal) ? "switchover" : "kill -9 failover"))
        {
            text.AppendLine($"| {group.Key} | {group.Count()} | {Range(group.Select(r => r.DirectGap))} | {Range(group.Select(r => r.Primary200After - r.DirectFirstWriteAfter))} | " +
                $"{Range(group.Select(r => r.ProxyFirstWriteAfter - r.Primary200After))} | {Range(group.Select(r => r.ProxyOutage))} | {Range(group.Select(r => r.ProxyGap))} | {group.Count(r => r.Met == true)} of {group.Count()} |");
        }
        return text.ToString();
    }

    private static string Range(IEnumerable<double?> values)
    {
        var list = values.OfType<double>().Order().ToList();
        return list.Count == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{list[list.Count / 2]:0.00} ({list[0]:0.00}-{list[^1]:0.00})");
    }

    private static string S(double? seconds) => seconds is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
