using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Text;
using PgHa.Bench.Hosting;

namespace PgHa.Bench;

/// <summary>
/// PgHa's side of bench/switchover.sh: a 3-node sandbox on 127.0.13.1-3, a writer inserting a sequence
/// number every 50 ms into whichever node accepts writes (bench/switchover_probe.py), and N rounds of
/// Invoke-PgHaSwitchover to the next standby. Per round: the call's wall time, the longest gap between
/// acknowledged writes around it, and the result's WriteUnavailable and Steps. After all rounds: every
/// acknowledged number must be on the final primary. Writes bench/results/switchover-pgha.tsv for the
/// script, which runs repmgr's side and computes the ratios. The sandbox is removed also on failure.
/// </summary>
public sealed class SwitchoverBenchmark : IBenchmark
{
    private const string FirstAddress = "127.0.13.1";
    private const double ProbeInterval = 0.05;

    public string Name => "switchover";

    public string Description => "Invoke-PgHaSwitchover rounds on a 3-node sandbox with a 50 ms writer";

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("switchover: run as root (the sandbox's servers run as the postgres OS user).");
            return 1;
        }
        var rounds = 3;
        var settle = 5;
        for (var i = 0; i < arguments.Count; i += 2)
        {
            if (i + 1 >= arguments.Count || !int.TryParse(arguments[i + 1], CultureInfo.InvariantCulture, out var value) || value < 1
                || (arguments[i] != "--rounds" && arguments[i] != "--settle"))
            {
                Console.Error.WriteLine("usage: PgHa.Bench switchover [--rounds N] [--settle S]   (default 3 rounds, 5 s between them)");
                return 2;
            }
            if (arguments[i] == "--rounds") { rounds = value; } else { settle = value; }
        }

        Directory.CreateDirectory(RepositoryLayout.ResultsDirectory);
        var path = Path.Combine(Path.GetTempPath(), "pgha-bench-switchover-" + Guid.NewGuid().ToString("N")[..8]);
        var probeLog = Path.Combine(RepositoryLayout.ResultsDirectory, "switchover-pgha-probe.log");
        File.Delete(probeLog);
        using var session = new BenchSession();
        Process? probe = null;
        try
        {
            Console.WriteLine($"New-PgHaSandbox -Path {path} -FirstAddress {FirstAddress} (3 nodes)...");
            var sandbox = session.Invoke("New-PgHaSandbox", new Dictionary<string, object?> { ["Path"] = path, ["FirstAddress"] = FirstAddress }, cancellationToken).Single();
            var nodes = ((System.Collections.IEnumerable)sandbox.Properties["Nodes"].Value).Cast<object>().Select(PSObject.AsPSObject)
                .Select(n => (Name: (string)n.Properties["Name"].Value, Address: (string)n.Properties["Address"].Value, Conninfo: (string)n.Properties["Conninfo"].Value))
                .ToList();
            var primary = (string)sandbox.Properties["Primary"].Value;
            string AddressOf(string name) => nodes.Single(n => n.Name == name).Address;
            Psql(AddressOf(primary), "postgres", "CREATE DATABASE app");
            Psql(AddressOf(primary), "app", "CREATE TABLE probe_seq(seq bigint PRIMARY KEY, ts timestamptz DEFAULT now(), src text)");
            // The standbys must have the table before a switchover makes one of them the primary; the
            // switchover's own lag check covers that, the sleep lets the first writes start.
            probe = Process.Start(new ProcessStartInfo("/usr/bin/python3",
                [Path.Combine(RepositoryLayout.Root, "bench", "switchover_probe.py"), probeLog, string.Join(",", nodes.Select(n => n.Address)), ProbeInterval.ToString(CultureInfo.InvariantCulture), "app"])
                { UseShellExecute = false }) ?? throw new InvalidOperationException("could not start the probe");
            // Wait for the first acknowledged write, then 2 s more of steady writes (as the anchor does).
            var deadline = Stopwatch.StartNew();
            while (!(File.Exists(probeLog) && File.ReadLines(probeLog).Any(l => l.Contains(" ok ", StringComparison.Ordinal))))
            {
                if (probe.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(15))
                {
                    throw new InvalidOperationException($"the probe made no acknowledged write (exited: {probe.HasExited}); see {probeLog}");
                }
                Thread.Sleep(100);
            }
            Thread.Sleep(2000);

            var results = new List<string>();
            for (var round = 1; round <= rounds; round++)
            {
                var index = nodes.FindIndex(n => n.Name == primary);
                var candidate = nodes[(index + 1) % nodes.Count].Name;
                Console.WriteLine($"round {round}: {primary} -> {candidate}");
                var t0 = Now();
                var clock = Stopwatch.StartNew();
                var output = session.Invoke("Invoke-PgHaSwitchover", new Dictionary<string, object?>
                {
                    ["Name"] = candidate, ["Conninfo"] = nodes.Select(n => n.Conninfo).ToArray(), ["Confirm"] = false,
                }, cancellationToken).Single();
                var seconds = clock.Elapsed.TotalSeconds;
                var t1 = Now();
                if (!(bool)output.Properties["Changed"].Value || (string)output.Properties["NewPrimary"].Value != candidate)
                {
                    throw new InvalidOperationException($"round {round}: Invoke-PgHaSwitchover did not make {candidate} the primary.");
                }
                var unavailable = ((TimeSpan)output.Properties["WriteUnavailable"].Value).TotalSeconds;
                var steps = string.Join("; ", ((System.Collections.IEnumerable)output.Properties["Steps"].Value).Cast<object>().Select(PSObject.AsPSObject)
                    .Select(s => $"{s.Properties["Name"].Value} {((TimeSpan)s.Properties["Duration"].Value).TotalSeconds:0.000}"));
                Thread.Sleep(TimeSpan.FromSeconds(settle));
                var gap = LongestGap(probeLog, t0, t1);
                Console.WriteLine($"  {seconds:0.000} s, longest write gap {gap:0.000} s, WriteUnavailable {unavailable:0.000} s; steps: {steps}");
                results.Add(string.Create(CultureInfo.InvariantCulture, $"round\t{round}\t{primary}->{candidate}\t{seconds:0.000}\t{gap:0.000}\t{unavailable:0.000}\t{steps}"));
                primary = candidate;
            }

            StopProbe(probe);
            probe = null;
            var acked = File.ReadLines(probeLog).Select(l => l.Split(' ', 4)).Where(p => p.Length >= 3 && p[1] == "ok").Select(p => long.Parse(p[2], CultureInfo.InvariantCulture)).ToHashSet();
            var present = Psql(AddressOf(primary), "app", "SELECT seq FROM probe_seq").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToHashSet();
            var lost = acked.Count(a => !present.Contains(a));
            var attempts = File.ReadLines(probeLog).Count();
            Console.WriteLine($"writes: {attempts} attempts, {acked.Count} acknowledged, {present.Count} rows on the final primary {primary}, {lost} acknowledged missing");
            results.Add($"writes\t{attempts}\t{acked.Count}\t{present.Count}\t{lost}");
            await File.WriteAllLinesAsync(Path.Combine(RepositoryLayout.ResultsDirectory, "switchover-pgha.tsv"), results, CancellationToken.None);
            return lost == 0 ? 0 : 3;
        }
        finally
        {
            if (probe is not null)
            {
                StopProbe(probe);
            }
            if (Directory.Exists(path))
            {
                Console.WriteLine($"Remove-PgHaSandbox {path}");
                try
                {
                    session.Invoke("Remove-PgHaSandbox", new Dictionary<string, object?> { ["Path"] = new[] { path }, ["Confirm"] = false }, CancellationToken.None);
                }
                catch (InvalidOperationException ex)
                {
                    Console.Error.WriteLine($"  could not: {ex.Message}");
                }
            }
        }
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>The longest stretch between two acknowledged writes that overlaps [t0, t1] (the call).</summary>
    private static double LongestGap(string log, double t0, double t1)
    {
        var oks = File.ReadLines(log).Select(l => l.Split(' ', 4)).Where(p => p.Length >= 3 && p[1] == "ok")
            .Select(p => double.Parse(p[0], CultureInfo.InvariantCulture)).ToList();
        var best = 0.0;
        for (var i = 1; i < oks.Count; i++)
        {
            if (oks[i] >= t0 && oks[i - 1] <= t1)
            {
                best = Math.Max(best, oks[i] - oks[i - 1]);
            }
        }
        return best;
    }

    private static void StopProbe(Process probe)
    {
        if (!probe.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", probe.Id.ToString(CultureInfo.InvariantCulture)]);
            kill?.WaitForExit();
            if (!probe.WaitForExit(5000))
            {
                probe.Kill();
            }
        }
        probe.Dispose();
    }

    private static string Psql(string address, string database, string sql)
    {
        using var process = Process.Start(new ProcessStartInfo("psql",
            ["-XAtq", "-v", "ON_ERROR_STOP=1", "-d", $"host={address} port=5432 user=postgres dbname={database} connect_timeout=5", "-c", sql])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"psql on {address}/{database} failed: {error.Trim()}");
        }
        return output;
    }
}
