using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.InteropServices;
using PgHa.Bench.Hosting;
using PgHa.Bench.Measurement;
using PgHa.Bench.Servers;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench;

/// <summary>
/// Time of Get-PgHaCluster (repmgr's `cluster show`) and Test-PgHaCluster (every check, the matrix
/// included) through the hosted pipeline, on a 3-node and a 9-node cluster: all up, one standby stopped
/// (connection refused) and one standby black-holed (connect timeout). A psql `select 1` to each node in
/// turn gives the cost of plain connections.
/// </summary>
public sealed class ClusterShowBenchmark : IBenchmark
{
    private const int Runs = 10;
    private const int ConnectTimeoutSeconds = 2;
    private const int ParallelClones = 4;

    public string Name => "cluster-show";

    public string Description => "Get-PgHaCluster and Test-PgHaCluster on 3 and 9 nodes: all up, one stopped, one black-holed";

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("cluster-show: run as root (servers run as the postgres OS user, the black hole needs nftables).");
            return 1;
        }

        var table = new ResultTable();
        using var session = new BenchSession();
        foreach (var size in new[] { 3, 9 })
        {
            await MeasureClusterAsync(session, size, table, cancellationToken);
        }

        var report = Report(table);
        Console.WriteLine();
        Console.WriteLine(report);
        Directory.CreateDirectory(RepositoryLayout.ResultsDirectory);
        var path = Path.Combine(RepositoryLayout.ResultsDirectory, "cluster-show.md");
        await File.WriteAllTextAsync(path, report, CancellationToken.None);
        Console.WriteLine($"Written to {path}");
        return 0;
    }

    private static async Task MeasureClusterAsync(BenchSession session, int size, ResultTable table, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Starting a {size}-node cluster (1 primary, {size - 1} standbys cloned {ParallelClones} at a time)...");
        var setup = Stopwatch.StartNew();
        await using var cluster = await BenchCluster.StartAsync($"bench{size}", size - 1, ParallelClones, cancellationToken);
        Register(session, cluster, cancellationToken);
        Console.WriteLine($"  ready and registered in {setup.Elapsed.TotalSeconds:0.0} s");

        // The victim is the last standby: any standby would do, the probes run in parallel.
        var victim = cluster.Standbys[^1];

        table.Add(new ResultRow("psql `select 1`, each node in turn", size, 0,
            await TimingSummary.MeasureAsync(() => PsqlEachNodeAsync(cluster, cancellationToken), Runs, cancellationToken)));

        table.Add(new ResultRow("Get-PgHaCluster, all up", size, 0,
            await MeasureClusterShowAsync(session, cluster, expectedUnreachable: 0, cancellationToken)));
        table.Add(new ResultRow("Test-PgHaCluster, all up", size, 0,
            await MeasureClusterCheckAsync(session, cluster, expectedUnreachable: 0, cancellationToken)));

        await victim.StopAsync(PostgresShutdownMode.Fast, cancellationToken);
        try
        {
            table.Add(new ResultRow("Get-PgHaCluster, one standby stopped (refused)", size, 1,
                await MeasureClusterShowAsync(session, cluster, expectedUnreachable: 1, cancellationToken)));
            table.Add(new ResultRow("Test-PgHaCluster, one standby stopped (refused)", size, 1,
                await MeasureClusterCheckAsync(session, cluster, expectedUnreachable: 1, cancellationToken)));
        }
        finally
        {
            await victim.StartAsync(CancellationToken.None);
        }
        await BenchCluster.WaitForStreamingAsync(victim, cancellationToken);

        await using (await NftBlackhole.DropAsync(victim.Address, victim.Port, cancellationToken))
        {
            table.Add(new ResultRow($"Get-PgHaCluster, one standby black-holed (-ConnectTimeout {ConnectTimeoutSeconds})", size, 1,
                await MeasureClusterShowAsync(session, cluster, expectedUnreachable: 1, cancellationToken)));
            table.Add(new ResultRow($"Test-PgHaCluster, one standby black-holed (-ConnectTimeout {ConnectTimeoutSeconds})", size, 1,
                await MeasureClusterCheckAsync(session, cluster, expectedUnreachable: 1, cancellationToken)));
        }
    }

    private static void Register(BenchSession session, BenchCluster cluster, CancellationToken cancellationToken)
    {
        var number = 1;
        foreach (var server in cluster.All)
        {
            session.Invoke("Register-PgHaNode", new Dictionary<string, object?>
            {
                ["Role"] = server == cluster.Primary ? "Primary" : "Standby",
                ["Name"] = $"node{number++}",
                ["Conninfo"] = server.ConninfoFor("pgha"),
            }, cancellationToken);
        }
    }

    /// <summary>
    /// Times the whole cmdlet through the pipeline with its output collected, and checks every run saw
    /// the cluster as expected: timing a run that failed or missed a node would time the wrong thing.
    /// </summary>
    private static Task<TimingSummary> MeasureClusterShowAsync(BenchSession session, BenchCluster cluster, int expectedUnreachable, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, object?>
        {
            ["Conninfo"] = new[] { cluster.Primary.ConninfoFor("pgha") },
            ["ConnectTimeout"] = ConnectTimeoutSeconds,
            // The unreachable node is expected here; its warning is not news.
            ["WarningAction"] = "SilentlyContinue",
        };
        return TimingSummary.MeasureAsync(() =>
        {
            var output = session.Invoke("Get-PgHaCluster", parameters, cancellationToken);
            CheckView(output, cluster.Count, expectedUnreachable);
            return Task.CompletedTask;
        }, Runs, cancellationToken);
    }

    /// <summary>
    /// Times Test-PgHaCluster with every check (no monitors run, so each Monitor check is one refused
    /// connection), and checks each run found exactly the expected nodes unreachable (Connection Critical).
    /// </summary>
    private static Task<TimingSummary> MeasureClusterCheckAsync(BenchSession session, BenchCluster cluster, int expectedUnreachable, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, object?>
        {
            ["Conninfo"] = new[] { cluster.Primary.ConninfoFor("pgha") },
            ["ConnectTimeout"] = ConnectTimeoutSeconds,
        };
        return TimingSummary.MeasureAsync(() =>
        {
            var output = session.Invoke("Test-PgHaCluster", parameters, cancellationToken);
            var connections = output.Where(o => o.Properties["Check"].Value.ToString() == "Connection").ToList();
            int unreachable = connections.Count(o => o.Properties["Status"].Value.ToString() == "Critical");
            if (connections.Count != cluster.Count || unreachable != expectedUnreachable)
            {
                throw new InvalidOperationException($"Test-PgHaCluster checked {connections.Count} connections, {unreachable} critical; expected {cluster.Count}, {expectedUnreachable}.");
            }
            return Task.CompletedTask;
        }, Runs, cancellationToken);
    }

    private static void CheckView(IReadOnlyList<PSObject> output, int expectedNodes, int expectedUnreachable)
    {
        if (output.Count != 1)
        {
            throw new InvalidOperationException($"Get-PgHaCluster returned {output.Count} objects, expected one cluster.");
        }
        var nodes = ((System.Collections.IEnumerable)output[0].Properties["Nodes"].Value).Cast<object>()
            .Select(PSObject.AsPSObject).ToList();
        var unreachable = nodes.Count(n => n.Properties["Status"].Value.ToString() == "Unreachable");
        if (nodes.Count != expectedNodes || unreachable != expectedUnreachable)
        {
            throw new InvalidOperationException($"Get-PgHaCluster saw {nodes.Count} nodes, {unreachable} unreachable; expected {expectedNodes}, {expectedUnreachable}.");
        }
    }

    /// <summary>One psql process per node, one after another, over TCP like PgHa: the floor of "ask every node".</summary>
    private static async Task PsqlEachNodeAsync(BenchCluster cluster, CancellationToken cancellationToken)
    {
        foreach (var server in cluster.All)
        {
            var result = await FixtureCommand.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
                ["-X", "-Atc", "select 1", "-d", server.ConninfoFor("postgres")], cancellationToken);
            if (!result.Succeeded || result.StandardOutput.Trim() != "1")
            {
                throw new InvalidOperationException($"psql on {server} failed: {result.Describe()}");
            }
        }
    }

    private static string Report(ResultTable table)
    {
        var postgresVersion = RunQuietly(Path.Combine(PostgresServer.BinDirectory, "postgres"), "--version");
        var debian = File.Exists("/etc/debian_version") ? File.ReadAllText("/etc/debian_version").Trim() : "?";
        return $"""
            # cluster-show benchmark, {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC

            Machine: {Environment.ProcessorCount} cores, Debian {debian}, {postgresVersion}, {RuntimeInformation.FrameworkDescription}, PgHa {RepositoryLayout.ModuleVersion}; load average at the end: {LoadAverage()}.
            Each row: one warm-up call, then {Runs} timed calls one after another. Get-PgHaCluster and Test-PgHaCluster run with -ConnectTimeout {ConnectTimeoutSeconds} through a hosted PowerShell 7.6 runspace (output objects collected).

            {table.ToMarkdown()}
            """;
    }

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
}
