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
/// Clone time of New-PgHaStandby against bare pg_basebackup from the same primary, in one run per database size
/// (pgbench -i -s 20, about 300 MB, and -s 200, about 3 GB, where the copy dominates), alternating bare/PgHa so
/// both see the same machine load and the same page cache. PgHa's own BackupDuration and the phases of the
/// cmdlet (timestamped from its progress and verbose records) split its call into the copy and the fixed cost
/// around it: the checks before pg_basebackup, and what comes after.
/// </summary>
public sealed class CloneBenchmark : IBenchmark
{
    private const int DefaultRounds = 5;
    private static readonly int[] DefaultScales = [20, 200];
    private const string BenchDatabase = "bench";
    private const string StandbyName = "bench";

    /// <summary>Issue 15's targets: the fixed cost, and the ratio where the copy dominates (at least 3 GB).</summary>
    private const double FixedCostTarget = 0.2;
    private const double LargeRatioTarget = 1.03;
    private const long LargeBytes = 3L * 1000 * 1000 * 1000;

    /// <summary>Free space a scale needs in /tmp/pgha-tests: the source (about 16 MB per scale unit with its WAL) and one copy at a time, with room to spare.</summary>
    private static long NeededBytes(int scale) => 3L * scale * 16 * 1024 * 1024 + 2L * 1024 * 1024 * 1024;

    // A clone of 3 GB takes a minute or more on a busy machine; the fixture's default 60 s would cut it.
    private static readonly TimeSpan CopyTimeout = TimeSpan.FromMinutes(20);

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

    /// <summary>The phases before pg_basebackup starts: the first four markers.</summary>
    private const int PhasesBeforeCopy = 4;

    public string Name => "clone";

    public string Description => "New-PgHaStandby against bare pg_basebackup on ~300 MB and ~3 GB databases, alternating";

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("clone: run as root (servers and pg_basebackup run as the postgres OS user).");
            return 1;
        }

        // --rounds N: fewer rounds for a quick look; --scales 20,200: the pgbench scales (one primary each, in turn).
        var rounds = DefaultRounds;
        var scales = DefaultScales;
        for (var i = 0; i < arguments.Count; i += 2)
        {
            var ok = i + 1 < arguments.Count && arguments[i] switch
            {
                "--rounds" => int.TryParse(arguments[i + 1], CultureInfo.InvariantCulture, out rounds) && rounds >= 1,
                "--scales" => TryParseScales(arguments[i + 1], out scales),
                _ => false,
            };
            if (!ok)
            {
                Console.Error.WriteLine("usage: PgHa.Bench clone [--rounds N] [--scales 20,200]   (N >= 1, default 5; pgbench scales, default 20 and 200)");
                return 2;
            }
        }

        using var session = new BenchSession();
        var results = new List<ScaleResult>();
        var skipped = new List<string>();
        foreach (var scale in scales)
        {
            // The disk first: a copy that runs out of space half-way measures nothing.
            Directory.CreateDirectory(TestDirectories.Root);
            var free = new DriveInfo(TestDirectories.Root).AvailableFreeSpace;
            if (free < NeededBytes(scale))
            {
                var why = $"pgbench -s {scale} not measured: {free / 1024 / 1024 / 1024} GB free in {TestDirectories.Root}, {NeededBytes(scale) / 1024 / 1024 / 1024} GB needed (the source and one copy at a time).";
                Console.WriteLine(why);
                skipped.Add(why);
                continue;
            }
            results.Add(await MeasureScaleAsync(session, scale, rounds, cancellationToken));
        }

        var report = Report(results, skipped, rounds);
        Console.WriteLine();
        Console.WriteLine(report);
        Directory.CreateDirectory(RepositoryLayout.ResultsDirectory);
        var path = Path.Combine(RepositoryLayout.ResultsDirectory, "clone.md");
        await File.WriteAllTextAsync(path, report, CancellationToken.None);
        Console.WriteLine($"Written to {path}");
        return 0;
    }

    private static bool TryParseScales(string text, out int[] scales)
    {
        scales = text.Split(',').Select(p => int.TryParse(p, CultureInfo.InvariantCulture, out var v) ? v : 0).ToArray();
        return scales.Length > 0 && scales.All(v => v >= 1);
    }

    /// <summary>One primary loaded at one scale, one warm-up of each, then the alternating rounds; the primary is stopped afterwards.</summary>
    private static async Task<ScaleResult> MeasureScaleAsync(BenchSession session, int scale, int rounds, CancellationToken cancellationToken)
    {
        Console.WriteLine($"== pgbench scale {scale}: starting the primary...");
        // fsync back on (initdb's default, what users run; the fixtures turn it off): the copies' fast checkpoints write what they would.
        await using var primary = await PostgresServer.InitPrimaryAsync($"benchclone{scale}", new Dictionary<string, string> { ["fsync"] = "on" }, cancellationToken);
        var data = await LoadAsync(primary, scale, cancellationToken);
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
        var loads = new List<string>();
        try
        {
            // One untimed round of each first: the first read of the freshly loaded files and the first
            // call of the cmdlet (JIT, first connections) would otherwise land on one side only.
            Console.WriteLine("Warm-up: one bare pg_basebackup, one New-PgHaStandby (not counted)...");
            await RunBareAsync(primary, targets, "warmup", cancellationToken);
            RunPgHa(session, primary, targets, "warmup", cancellationToken);
            for (var round = 1; round <= rounds; round++)
            {
                loads.Add(LoadAverage().Split(' ')[0]);
                var bareSeconds = await RunBareAsync(primary, targets, round.ToString(CultureInfo.InvariantCulture), cancellationToken);
                bare.Add(bareSeconds);
                var run = RunPgHa(session, primary, targets, round.ToString(CultureInfo.InvariantCulture), cancellationToken);
                pgha.Add(run);
                Console.WriteLine($"  round {round} (load {loads[^1]}): bare {bareSeconds:0.000} s, New-PgHaStandby {run.TotalSeconds:0.000} s (its pg_basebackup {run.BackupSeconds:0.000} s, fixed cost {run.TotalSeconds - run.BackupSeconds:0.000} s)");
            }
        }
        finally
        {
            TestDirectories.Delete(targets);
        }
        return new ScaleResult(scale, data, bare, pgha, loads);
    }

    /// <summary>
    /// pgbench -i into its own database, then a CHECKPOINT: the freshly loaded pages are written out once
    /// here, so neither the first bare nor the first PgHa clone pays for it with its fast checkpoint.
    /// </summary>
    private static async Task<LoadedData> LoadAsync(PostgresServer primary, int scale, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Loading pgbench -i -s {scale}...");
        await primary.ExecuteAsync($"CREATE DATABASE {BenchDatabase}", cancellationToken: cancellationToken);
        var load = Stopwatch.StartNew();
        var pgbench = await FixtureCommand.RunAsPostgresAsync(Path.Combine(PostgresServer.BinDirectory, "pgbench"),
            ["-i", "-q", "-s", scale.ToString(CultureInfo.InvariantCulture), "-h", primary.Address, "-p", primary.Port.ToString(CultureInfo.InvariantCulture),
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

    private static string Report(List<ScaleResult> results, List<string> skipped, int rounds)
    {
        var text = new StringBuilder();
        var postgresVersion = RunQuietly(Path.Combine(PostgresServer.BinDirectory, "postgres"), "--version");
        var debian = File.Exists("/etc/debian_version") ? File.ReadAllText("/etc/debian_version").Trim() : "?";
        text.AppendLine(CultureInfo.InvariantCulture, $"# clone benchmark, {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores (shared), Debian {debian}, {postgresVersion}, {RuntimeInformation.FrameworkDescription}, PgHa {RepositoryLayout.ModuleVersion}; load average at the end: {LoadAverage()}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Per database size: a primary (fixture settings, fsync on) loaded with pgbench -i, CHECKPOINT, one warm-up of each, then {rounds} rounds alternating bare, PgHa. Bare: `runuser -u postgres -- pg_basebackup -d \"host=.. port=.. user=postgres\" -D <new dir> -X stream -c fast`, process start to exit. PgHa: `New-PgHaStandby -SourceConninfo <primary, dbname=pgha> -Name {StandbyName} -DataDirectory <new dir> -Verbose -Confirm:$false` (no -Start) in a hosted runspace, around the call. Targets deleted between runs, untimed. Fixed cost = whole call minus its own pg_basebackup (BackupDuration), per round; checks = from the call to pg_basebackup's start.");
        text.AppendLine();
        text.AppendLine("| Database | Rounds | Load | Bare s | PgHa whole call s | PgHa's pg_basebackup s | Ratio whole / bare | Ratio its pg_basebackup / bare | Fixed cost s | of which checks before pg_basebackup s |");
        text.AppendLine("|---|---:|---|---|---|---|---:|---:|---|---|");
        foreach (var r in results)
        {
            var bare = FromSeconds(r.Bare);
            var whole = FromSeconds(r.PgHa.Select(p => p.TotalSeconds));
            var backup = FromSeconds(r.PgHa.Select(p => p.BackupSeconds));
            var fixedCost = FromSeconds(r.PgHa.Select(p => p.TotalSeconds - p.BackupSeconds));
            var checks = TimingSummary.FromSamples(r.PgHa.Select(p => p.PhasesMs.Take(PhasesBeforeCopy).Sum()).ToList());
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| pgbench -s {r.Scale}: {Mb(r.Data.BenchBytes)} MB (all databases {Mb(r.Data.AllBytes)} MB) | {r.Bare.Count} | {string.Join(", ", r.Loads)} | {S(bare)} | {S(whole)} | {S(backup)} | **{whole.MedianMs / bare.MedianMs:0.000}** | {backup.MedianMs / bare.MedianMs:0.000} | {S(fixedCost)} | {S(checks)} |");
        }
        text.AppendLine();
        text.AppendLine("(seconds: median (min-max) of the rounds; ratios of medians)");
        text.AppendLine();
        foreach (var why in skipped)
        {
            text.AppendLine(why);
            text.AppendLine();
        }
        text.AppendLine("| Target (issue 15) | Measured | Met |");
        text.AppendLine("|---|---|---|");
        foreach (var r in results)
        {
            var fixedCost = FromSeconds(r.PgHa.Select(p => p.TotalSeconds - p.BackupSeconds));
            text.AppendLine(CultureInfo.InvariantCulture, $"| fixed cost <= {FixedCostTarget:0.0} s (pgbench -s {r.Scale}) | median {fixedCost.MedianMs / 1000:0.000} s | {(fixedCost.MedianMs / 1000 <= FixedCostTarget ? "yes" : "**no**")} |");
            if (r.Data.BenchBytes >= LargeBytes)
            {
                var ratio = FromSeconds(r.PgHa.Select(p => p.TotalSeconds)).MedianMs / FromSeconds(r.Bare).MedianMs;
                text.AppendLine(CultureInfo.InvariantCulture, $"| whole call <= {LargeRatioTarget:0.00} x bare on >= 3 GB (pgbench -s {r.Scale}) | {ratio:0.000} | {(ratio <= LargeRatioTarget ? "yes" : "**no**")} |");
            }
        }
        foreach (var r in results)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"## pgbench -s {r.Scale}");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Loaded in {r.Data.LoadSeconds:0.0} s; database `{BenchDatabase}` {Mb(r.Data.BenchBytes)} MB ({r.Data.BenchBytes} bytes, pg_database_size); PgHa reported {r.PgHa[^1].CopiedKb / 1024} MB copied.");
            text.AppendLine();
            text.AppendLine("| Round | Load | bare s | PgHa call s | PgHa BackupDuration s | fixed cost s | PgHa Duration (after the checks) s |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            for (var i = 0; i < r.PgHa.Count; i++)
            {
                var p = r.PgHa[i];
                text.AppendLine(CultureInfo.InvariantCulture, $"| {i + 1} | {r.Loads[i]} | {r.Bare[i]:0.000} | {p.TotalSeconds:0.000} | {p.BackupSeconds:0.000} | {p.TotalSeconds - p.BackupSeconds:0.000} | {p.ApplySeconds:0.000} |");
            }
            text.AppendLine();
            text.AppendLine("Phases of New-PgHaStandby (ms; from the arrival of its progress and verbose records in the pipeline):");
            text.AppendLine();
            text.AppendLine("| Phase | Median ms | Min ms | Max ms |");
            text.AppendLine("|---|---:|---:|---:|");
            var names = PhaseMarkers.Select(m => m.PhaseEnded).Append(LastPhase).ToList();
            for (var phase = 0; phase < names.Count; phase++)
            {
                var summary = TimingSummary.FromSamples(r.PgHa.Select(p => p.PhasesMs[phase]).ToList());
                text.AppendLine(CultureInfo.InvariantCulture, $"| {names[phase]} | {summary.MedianMs:0} | {summary.MinMs:0} | {summary.MaxMs:0} |");
            }
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Checks made: {string.Join(", ", r.PgHa[^1].Checks)}.");
        }
        return text.ToString();
    }

    private static string S(TimingSummary t) =>
        string.Create(CultureInfo.InvariantCulture, $"{t.MedianMs / 1000:0.000} ({t.MinMs / 1000:0.000}-{t.MaxMs / 1000:0.000})");

    private static TimingSummary FromSeconds(IEnumerable<double> seconds) =>
        TimingSummary.FromSamples(seconds.Select(s => s * 1000).ToList());

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

    private sealed record ScaleResult(int Scale, LoadedData Data, List<double> Bare, List<PgHaRun> PgHa, List<string> Loads);

    private sealed record PgHaRun(double TotalSeconds, double BackupSeconds, double ApplySeconds, long CopiedKb, List<double> PhasesMs, List<string> Checks);
}
