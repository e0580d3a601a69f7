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
/// Clone time of New-PgHaStandby against bare pg_basebackup from the same ~300 MB primary, in one run,
/// alternating bare/PgHa so both see the same machine load and the same page cache. PgHa's own
/// BackupDuration and the phases of the cmdlet (timestamped from its progress and verbose records)
/// show where any overhead over the bare copy goes.
/// </summary>
public sealed class CloneBenchmark : IBenchmark
{
    private const int DefaultRounds = 5;
    private const int PgbenchScale = 20;
    private const double TargetRatio = 1.05;
    private const string BenchDatabase = "bench";
    private const string StandbyName = "bench";

    // A clone of 300 MB takes seconds here; the fixture's default 60 s would cut a slow round on a busy machine.
    private static readonly TimeSpan CopyTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Markers of New-PgHaStandby's phases, in the order the engine reports them (StandbyClone.cs): the
    /// text a progress or verbose record starts with or contains, and the name of the phase it ends.
    /// </summary>
    private static readonly (string Marker, string PhaseEnded)[] PhaseMarkers =
    [
        ("Checking the source for", "start: parameter binding, request"),
        ("Checking the target host", "source checks: probe, settings, cluster metadata"),
        ("Checks done", "target checks: programs, replication access, directory, disk"),
        ("waiting for the checkpoint", "before the copy: check list, mkdir, chmod, passfile"),
        ("Cloned ", "pg_basebackup (checkpoint + copy + WAL), incomplete marker"),
        ("Wrote standby.signal", "standby configuration: auto.conf, standby.signal, marker removed"),
    ];
    private const string LastPhase = "after: standby_clone event on the primary, output object";

    public string Name => "clone";

    public string Description => "New-PgHaStandby against bare pg_basebackup on a ~300 MB database, alternating";

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("clone: run as root (servers and pg_basebackup run as the postgres OS user).");
            return 1;
        }

        // --rounds N: fewer rounds for a quick look at the phases (e.g. under strace); the measured
        // numbers in the README come from the default.
        var rounds = DefaultRounds;
        if (arguments.Count > 0 && (arguments.Count != 2 || arguments[0] != "--rounds" || !int.TryParse(arguments[1], CultureInfo.InvariantCulture, out rounds) || rounds < 1))
        {
            Console.Error.WriteLine("usage: PgHa.Bench clone [--rounds N]   (N >= 1, default 5)");
            return 2;
        }

        using var session = new BenchSession();
        Console.WriteLine("Starting the primary...");
        await using var primary = await PostgresServer.InitPrimaryAsync("benchclone", null, cancellationToken);
        var data = await LoadAsync(primary, cancellationToken);
        session.Invoke("Register-PgHaNode", new Dictionary<string, object?>
        {
            ["Role"] = "Primary",
            ["Name"] = "node1",
            ["Conninfo"] = primary.ConninfoFor("pgha"),
        }, cancellationToken);

        // Owned by postgres: the bare pg_basebackup and PgHa's mkdir both create their target in it.
        var targets = await TestDirectories.CreateAsync("clonetargets", FixtureCommand.PostgresUser, cancellationToken);
        var bare = new List<double>();
        var pgha = new List<PgHaRun>();
        try
        {
            // One untimed round of each first: the first read of the freshly loaded files and the first
            // call of the cmdlet (JIT, first connections) would otherwise land on one side only.
            Console.WriteLine("Warm-up: one bare pg_basebackup, one New-PgHaStandby (not counted)...");
            await RunBareAsync(primary, targets, "warmup", cancellationToken);
            RunPgHa(session, primary, targets, "warmup", cancellationToken);
            for (var round = 1; round <= rounds; round++)
            {
                var bareSeconds = await RunBareAsync(primary, targets, round.ToString(CultureInfo.InvariantCulture), cancellationToken);
                bare.Add(bareSeconds);
                var run = RunPgHa(session, primary, targets, round.ToString(CultureInfo.InvariantCulture), cancellationToken);
                pgha.Add(run);
                Console.WriteLine($"  round {round}: bare {bareSeconds:0.000} s, New-PgHaStandby {run.TotalSeconds:0.000} s (its pg_basebackup {run.BackupSeconds:0.000} s)");
            }
        }
        finally
        {
            TestDirectories.Delete(targets);
        }

        var report = Report(data, bare, pgha, rounds);
        Console.WriteLine();
        Console.WriteLine(report);
        Directory.CreateDirectory(RepositoryLayout.ResultsDirectory);
        var path = Path.Combine(RepositoryLayout.ResultsDirectory, "clone.md");
        await File.WriteAllTextAsync(path, report, CancellationToken.None);
        Console.WriteLine($"Written to {path}");
        return 0;
    }

    /// <summary>
    /// pgbench -i into its own database, then a CHECKPOINT: the freshly loaded pages are written out once
    /// here, so neither the first bare nor the first PgHa clone pays for it with its fast checkpoint.
    /// </summary>
    private static async Task<LoadedData> LoadAsync(PostgresServer primary, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Loading pgbench -i -s {PgbenchScale}...");
        await primary.ExecuteAsync($"CREATE DATABASE {BenchDatabase}", cancellationToken: cancellationToken);
        var load = Stopwatch.StartNew();
        var pgbench = await FixtureCommand.RunAsPostgresAsync(Path.Combine(PostgresServer.BinDirectory, "pgbench"),
            ["-i", "-q", "-s", PgbenchScale.ToString(CultureInfo.InvariantCulture), "-h", primary.Address, "-p", primary.Port.ToString(CultureInfo.InvariantCulture),
             "-U", PostgresServer.Superuser, BenchDatabase], cancellationToken, CopyTimeout);
        if (!pgbench.Succeeded)
        {
            throw new InvalidOperationException($"pgbench -i failed: {pgbench.Describe()}");
        }
        await primary.ExecuteAsync("CHECKPOINT", cancellationToken: cancellationToken);
        var benchBytes = long.Parse(await primary.QueryScalarAsync($"SELECT pg_database_size('{BenchDatabase}')", cancellationToken: cancellationToken) ?? "0", CultureInfo.InvariantCulture);
        var allBytes = long.Parse(await primary.QueryScalarAsync("SELECT sum(pg_database_size(datname)) FROM pg_database", cancellationToken: cancellationToken) ?? "0", CultureInfo.InvariantCulture);
        var data = new LoadedData(benchBytes, allBytes, load.Elapsed.TotalSeconds);
        Console.WriteLine($"  loaded in {data.LoadSeconds:0.0} s: database {BenchDatabase} {Mb(benchBytes)} MB, all databases {Mb(allBytes)} MB");
        return data;
    }

    /// <summary>Bare pg_basebackup as postgres, timed from process start to exit; its target is deleted afterwards, untimed.</summary>
    private static async Task<double> RunBareAsync(PostgresServer primary, string targets, string round, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(targets, $"bare-{round}");
        var source = $"host={primary.Address} port={primary.Port} user={PostgresServer.Superuser}";
        var watch = Stopwatch.StartNew();
        var result = await FixtureCommand.RunAsPostgresAsync(Path.Combine(PostgresServer.BinDirectory, "pg_basebackup"),
            ["-d", source, "-D", directory, "-X", "stream", "-c", "fast"], cancellationToken, CopyTimeout);
        var seconds = watch.Elapsed.TotalSeconds;
        // A failed copy would be a fast one: never time it as a result.
        if (!result.Succeeded || !File.Exists(Path.Combine(directory, "PG_VERSION")))
        {
            throw new InvalidOperationException($"bare pg_basebackup into {directory} failed: {result.Describe()}\nprimary log:\n{primary.LogTail()}");
        }
        TestDirectories.Delete(directory);
        return seconds;
    }

    /// <summary>
    /// New-PgHaStandby without -Start (this compares copying), timed around the cmdlet call. -Verbose and
    /// the progress records it writes anyway are timestamped as they arrive, to split the call into phases.
    /// </summary>
    private static PgHaRun RunPgHa(BenchSession session, PostgresServer primary, string targets, string round, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(targets, $"pgha-{round}");
        var marks = new List<(double Ms, string Text)>();
        var watch = new Stopwatch();
        void Observe(PSDataStreams streams)
        {
            streams.Progress.DataAdded += (sender, e) =>
                marks.Add((watch.Elapsed.TotalMilliseconds, ((PSDataCollection<ProgressRecord>)sender!)[e.Index].StatusDescription));
            streams.Verbose.DataAdded += (sender, e) =>
                marks.Add((watch.Elapsed.TotalMilliseconds, ((PSDataCollection<VerboseRecord>)sender!)[e.Index].Message));
        }

        watch.Start();
        var output = session.Invoke("New-PgHaStandby", new Dictionary<string, object?>
        {
            ["SourceConninfo"] = primary.ConninfoFor("pgha"),
            ["Name"] = StandbyName,
            ["DataDirectory"] = directory,
            ["Verbose"] = true,
            ["Confirm"] = false,
        }, cancellationToken, Observe);
        var totalMs = watch.Elapsed.TotalMilliseconds;

        if (output.Count != 1 || output[0].Properties["BackupDuration"]?.Value is not TimeSpan backup
            || output[0].Properties["Duration"]?.Value is not TimeSpan applyDuration
            || !File.Exists(Path.Combine(directory, "PG_VERSION")) || !File.Exists(Path.Combine(directory, "standby.signal")))
        {
            throw new InvalidOperationException($"New-PgHaStandby into {directory} did not return one clone with a complete directory ({output.Count} objects).");
        }
        var copiedKb = Convert.ToInt64(output[0].Properties["CopiedKilobytes"].Value, CultureInfo.InvariantCulture);
        var checks = ((System.Collections.IEnumerable)output[0].Properties["Checks"].Value).Cast<object>()
            .Select(PSObject.AsPSObject)
            .Select(c => $"{c.Properties["Check"].Value} ({c.Properties["Status"].Value})")
            .ToList();
        TestDirectories.Delete(directory);
        return new PgHaRun(totalMs / 1000, backup.TotalSeconds, applyDuration.TotalSeconds, copiedKb, Phases(marks, totalMs), checks);
    }

    /// <summary>Milliseconds per phase: from one marker's first record to the next one's, the last phase to the end of the call.</summary>
    private static List<double> Phases(List<(double Ms, string Text)> marks, double totalMs)
    {
        var phases = new List<double>();
        var previous = 0.0;
        foreach (var (marker, phase) in PhaseMarkers)
        {
            var found = marks.FirstOrDefault(m => m.Text.Contains(marker, StringComparison.Ordinal));
            if (found.Text is null)
            {
                // The engine's messages changed: say so rather than attribute time to the wrong phase.
                throw new InvalidOperationException($"New-PgHaStandby wrote no progress or verbose record containing '{marker}' (end of phase '{phase}'); update the phase markers in CloneBenchmark.");
            }
            phases.Add(found.Ms - previous);
            previous = found.Ms;
        }
        phases.Add(totalMs - previous);
        return phases;
    }

    private static string Report(LoadedData data, List<double> bare, List<PgHaRun> pgha, int rounds)
    {
        var bareSummary = FromSeconds(bare);
        var pghaSummary = FromSeconds(pgha.Select(r => r.TotalSeconds));
        var backupSummary = FromSeconds(pgha.Select(r => r.BackupSeconds));
        var ratio = pghaSummary.MedianMs / bareSummary.MedianMs;
        var backupRatio = backupSummary.MedianMs / bareSummary.MedianMs;
        var overheadMs = pghaSummary.MedianMs - backupSummary.MedianMs;

        var text = new StringBuilder();
        var postgresVersion = RunQuietly(Path.Combine(PostgresServer.BinDirectory, "postgres"), "--version");
        var debian = File.Exists("/etc/debian_version") ? File.ReadAllText("/etc/debian_version").Trim() : "?";
        text.AppendLine(CultureInfo.InvariantCulture, $"# clone benchmark, {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, Debian {debian}, {postgresVersion}, {RuntimeInformation.FrameworkDescription}, PgHa {RepositoryLayout.ModuleVersion}; load average at the end: {LoadAverage()}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Data: pgbench -i -s {PgbenchScale} (loaded in {data.LoadSeconds:0.0} s, then CHECKPOINT): database `{BenchDatabase}` {Mb(data.BenchBytes)} MB ({data.BenchBytes} bytes, pg_database_size), all databases {Mb(data.AllBytes)} MB; PgHa reported {pgha[^1].CopiedKb / 1024} MB copied.");
        text.AppendLine(CultureInfo.InvariantCulture, $"One warm-up of each, then {rounds} rounds alternating bare, PgHa. Bare: `runuser -u postgres -- pg_basebackup -d \"host=.. port=.. user=postgres\" -D <new dir> -X stream -c fast`, process start to exit. PgHa: `New-PgHaStandby -SourceConninfo <primary, dbname=pgha> -Name {StandbyName} -DataDirectory <new dir> -Verbose -Confirm:$false` (no -Start) in a hosted runspace, around the call. Targets deleted between runs, untimed.");
        text.AppendLine();
        text.AppendLine("| Run | Rounds | Median s | Min s | Max s |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        AppendRow(text, "bare pg_basebackup", bareSummary);
        AppendRow(text, "New-PgHaStandby, whole call", pghaSummary);
        AppendRow(text, "New-PgHaStandby, its pg_basebackup (BackupDuration)", backupSummary);
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Ratio of medians PgHa / bare: **{ratio:0.000}** (target ≤ {TargetRatio:0.00}: {(ratio <= TargetRatio ? "met" : "missed")}). PgHa's pg_basebackup alone / bare: {backupRatio:0.000}. Median whole call minus median BackupDuration: {overheadMs:0} ms.");
        text.AppendLine();
        text.AppendLine("Per round (seconds):");
        text.AppendLine();
        text.AppendLine("| Round | bare | PgHa call | PgHa BackupDuration | PgHa Duration (after the checks) |");
        text.AppendLine("|---:|---:|---:|---:|---:|");
        for (var i = 0; i < pgha.Count; i++)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {i + 1} | {bare[i]:0.000} | {pgha[i].TotalSeconds:0.000} | {pgha[i].BackupSeconds:0.000} | {pgha[i].ApplySeconds:0.000} |");
        }
        text.AppendLine();
        text.AppendLine("Phases of New-PgHaStandby (ms; from the arrival of its progress and verbose records in the pipeline):");
        text.AppendLine();
        text.AppendLine("| Phase | Median ms | Min ms | Max ms |");
        text.AppendLine("|---|---:|---:|---:|");
        var names = PhaseMarkers.Select(m => m.PhaseEnded).Append(LastPhase).ToList();
        for (var phase = 0; phase < names.Count; phase++)
        {
            var summary = TimingSummary.FromSamples(pgha.Select(r => r.PhasesMs[phase]).ToList());
            text.AppendLine(CultureInfo.InvariantCulture, $"| {names[phase]} | {summary.MedianMs:0} | {summary.MinMs:0} | {summary.MaxMs:0} |");
        }
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Checks made: {string.Join(", ", pgha[^1].Checks)}.");
        return text.ToString();
    }

    private static TimingSummary FromSeconds(IEnumerable<double> seconds) =>
        TimingSummary.FromSamples(seconds.Select(s => s * 1000).ToList());

    private static void AppendRow(StringBuilder text, string run, TimingSummary timing) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {run} | {timing.Runs} | {timing.MedianMs / 1000:0.000} | {timing.MinMs / 1000:0.000} | {timing.MaxMs / 1000:0.000} |");

    private static long Mb(long bytes) => bytes / 1024 / 1024;

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

    private sealed record LoadedData(long BenchBytes, long AllBytes, double LoadSeconds);

    private sealed record PgHaRun(double TotalSeconds, double BackupSeconds, double ApplySeconds, long CopiedKb, List<double> PhasesMs, List<string> Checks);
}
