using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;
using PgHa.Bench.Hosting;
using PgHa.Bench.Measurement;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench;

/// <summary>
/// Time of New-PgHaSandbox until the cluster is ready (3 nodes, and 3 nodes with a witness) and of
/// Remove-PgHaSandbox, through the hosted pipeline. Each round makes a sandbox and removes it again, so
/// every creation starts from the same empty machine state.
/// </summary>
public sealed class SandboxBenchmark : IBenchmark
{
    private const int DefaultRounds = 5;
    private const string FirstAddress = "127.0.12.1";
    private const double TargetSeconds = 20;

    public string Name => "sandbox";

    public string Description => "New-PgHaSandbox (3 nodes, 3 nodes + witness) and Remove-PgHaSandbox";

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("sandbox: run as root (the sandbox's servers run as the postgres OS user).");
            return 1;
        }
        var rounds = DefaultRounds;
        if (arguments.Count > 0 && (arguments.Count != 2 || arguments[0] != "--rounds" || !int.TryParse(arguments[1], CultureInfo.InvariantCulture, out rounds) || rounds < 1))
        {
            Console.Error.WriteLine("usage: PgHa.Bench sandbox [--rounds N]   (N >= 1, default 5)");
            return 2;
        }

        using var session = new BenchSession();
        var scenarios = new List<Scenario>();
        foreach (var witness in new[] { false, true })
        {
            scenarios.Add(Measure(session, witness, rounds, cancellationToken));
        }

        var report = Report(scenarios, rounds);
        Console.WriteLine();
        Console.WriteLine(report);
        Directory.CreateDirectory(RepositoryLayout.ResultsDirectory);
        var path = Path.Combine(RepositoryLayout.ResultsDirectory, "sandbox.md");
        await File.WriteAllTextAsync(path, report, CancellationToken.None);
        Console.WriteLine($"Written to {path}");
        return 0;
    }

    /// <summary>One untimed make-and-remove first (JIT, first use of each code path), then the timed rounds.</summary>
    private static Scenario Measure(BenchSession session, bool witness, int rounds, CancellationToken cancellationToken)
    {
        var label = witness ? "3 nodes + witness" : "3 nodes";
        Console.WriteLine($"{label}: warm-up (not counted)...");
        RunRound(session, witness, cancellationToken);
        var create = new List<double>();
        var reported = new List<double>();
        var remove = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var (createSeconds, durationSeconds, removeSeconds) = RunRound(session, witness, cancellationToken);
            create.Add(createSeconds * 1000);
            reported.Add(durationSeconds * 1000);
            remove.Add(removeSeconds * 1000);
            Console.WriteLine($"  round {round}: New-PgHaSandbox {createSeconds:0.00} s (its Duration {durationSeconds:0.00} s), Remove-PgHaSandbox {removeSeconds:0.00} s");
        }
        return new Scenario(label, witness ? 4 : 3,
            TimingSummary.FromSamples(create), TimingSummary.FromSamples(reported), TimingSummary.FromSamples(remove));
    }

    /// <summary>
    /// Makes a sandbox and removes it, each timed as one call through the pipeline, and checks both did
    /// what they should: a timed error would time the wrong thing. The folder is removed also on failure.
    /// </summary>
    private static (double Create, double Duration, double Remove) RunRound(BenchSession session, bool witness, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), "pgha-bench-sandbox-" + Guid.NewGuid().ToString("N")[..8]);
        var removed = false;
        try
        {
            var parameters = new Dictionary<string, object?> { ["Path"] = path, ["FirstAddress"] = FirstAddress };
            if (witness)
            {
                parameters["Witness"] = true;
            }
            var clock = Stopwatch.StartNew();
            var output = session.Invoke("New-PgHaSandbox", parameters, cancellationToken);
            var create = clock.Elapsed.TotalSeconds;
            var duration = CheckSandbox(output, path, witness ? 4 : 3);

            clock.Restart();
            session.Invoke("Remove-PgHaSandbox", new Dictionary<string, object?> { ["Path"] = new[] { path }, ["Confirm"] = false }, cancellationToken);
            var remove = clock.Elapsed.TotalSeconds;
            removed = true;
            if (Directory.Exists(path))
            {
                throw new InvalidOperationException($"Remove-PgHaSandbox left '{path}' behind.");
            }
            return (create, duration, remove);
        }
        finally
        {
            if (!removed && Directory.Exists(path))
            {
                Console.Error.WriteLine($"Removing '{path}' after a failed round...");
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

    /// <summary>One PgHaSandbox with the expected number of servers; returns its own Duration in seconds.</summary>
    private static double CheckSandbox(IReadOnlyList<PSObject> output, string path, int servers)
    {
        if (output.Count != 1 || output[0].Properties["Path"]?.Value as string != path)
        {
            throw new InvalidOperationException($"New-PgHaSandbox returned {output.Count} objects, expected one sandbox in '{path}'.");
        }
        var nodes = ((System.Collections.IEnumerable)output[0].Properties["Nodes"].Value).Cast<object>().Count();
        if (nodes != servers)
        {
            throw new InvalidOperationException($"New-PgHaSandbox made {nodes} servers, expected {servers}.");
        }
        return ((TimeSpan)output[0].Properties["Duration"].Value).TotalSeconds;
    }

    private static string Report(List<Scenario> scenarios, int rounds)
    {
        var postgresVersion = RunQuietly(Path.Combine(PostgresServer.BinDirectory, "postgres"), "--version");
        var debian = File.Exists("/etc/debian_version") ? File.ReadAllText("/etc/debian_version").Trim() : "?";
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# sandbox benchmark, {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, Debian {debian}, {postgresVersion}, {RuntimeInformation.FrameworkDescription}, PgHa {RepositoryLayout.ModuleVersion}; load average at the end: {LoadAverage()}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Each scenario: one untimed make-and-remove, then {rounds} rounds of New-PgHaSandbox -FirstAddress {FirstAddress} followed by Remove-PgHaSandbox, each one call through a hosted PowerShell 7.6 runspace. Target: a 3-node sandbox ready in under {TargetSeconds:0} s.");
        text.AppendLine();
        text.AppendLine("| Command | Servers | Runs | Median s | Min s | Max s |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var scenario in scenarios)
        {
            Row(text, $"New-PgHaSandbox, {scenario.Label}", scenario.Servers, scenario.Create);
            Row(text, $"(its own Duration property)", scenario.Servers, scenario.Reported);
            Row(text, $"Remove-PgHaSandbox, {scenario.Label}", scenario.Servers, scenario.Remove);
        }
        var threeNodes = scenarios[0].Create;
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"3-node sandbox: median {threeNodes.MedianMs / 1000:0.0} s, max {threeNodes.MaxMs / 1000:0.0} s: {(threeNodes.MaxMs / 1000 < TargetSeconds ? "under" : "NOT under")} the {TargetSeconds:0} s target.");
        return text.ToString();
    }

    private static void Row(StringBuilder text, string label, int servers, TimingSummary timing) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {servers} | {timing.Runs} | {timing.MedianMs / 1000:0.00} | {timing.MinMs / 1000:0.00} | {timing.MaxMs / 1000:0.00} |");

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string RunQuietly(string fileName, string argument)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(fileName, argument) { RedirectStandardOutput = true, UseShellExecute = false });
            var output = process?.StandardOutput.ReadToEnd().Trim() ?? "?";
            process?.WaitForExit();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }

    private sealed record Scenario(string Label, int Servers, TimingSummary Create, TimingSummary Reported, TimingSummary Remove);
}
