using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Health;

/// <summary>Each endpoint in each state of a node, and /metrics against promtool and the cmdlets.</summary>
public sealed partial class ClientsFindThePrimaryTests
{
    private const string Promtool = "/usr/bin/promtool";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private Task<(int Status, string Body, string? Age)> GetAsync(string node, string path) => HealthClient.GetAsync(Cluster[node].Server.Address, HttpPort, path);

    /// <summary>Waits until every (node, path) answers its expected status; the failure message shows every answer.</summary>
    private async Task ExpectAsync(string when, params (string Node, string Path, int Status)[] expected)
    {
        var answers = new (int Status, string Body, string? Age)[expected.Length];
        bool all = await Polling.UntilAsync(async () =>
        {
            for (int i = 0; i < expected.Length; i++)
            {
                answers[i] = await GetAsync(expected[i].Node, expected[i].Path);
            }
            return expected.Select((e, i) => answers[i].Status == e.Status).All(x => x);
        }, Deadline);
        Assert.True(all, $"{when}:\n" + string.Join("\n", expected.Select((e, i) => $"{e.Node} {e.Path}: expected {e.Status}, got {answers[i].Status} {answers[i].Body}"))
            + "\n" + Cluster.DescribeMonitors());
        foreach (var (status, body, age) in answers.Where(a => a.Status is 200 or 503))
        {
            Assert.NotNull(age); // every answer from a snapshot says how old it is
            using JsonDocument json = JsonDocument.Parse(body);
            Assert.True(json.RootElement.GetProperty("snapshotAgeSeconds").GetDouble() < 5, body);
        }
    }

    private async Task<Dictionary<string, double>> MetricsAsync(string node)
    {
        var (status, body, _) = await GetAsync(node, "/metrics");
        Assert.True(status == 200, $"/metrics on {node}: {status} {body}");
        return HealthClient.ParseMetrics(body);
    }

    private async Task HealthyClusterAsync()
    {
        await ExpectAsync("A healthy cluster",
            ("node1", "/primary", 200), ("node1", "/replica", 503), ("node1", "/read-only", 200), ("node1", "/health", 200),
            ("node2", "/primary", 503), ("node2", "/replica", 200), ("node2", "/read-only", 200), ("node2", "/health", 200),
            ("node3", "/replica?lag=1MB", 200), ("node3", "/replica?lag=10s", 200), ("node3", "/replica?lag=xyz", 400), ("node3", "/nothing", 404));

        // promtool, and the values Get-PgHaNode and Get-PgHaMonitor show.
        foreach (ClusterMember member in Cluster.DataNodes)
        {
            var (_, text, _) = await GetAsync(member.Name, "/metrics");
            var (exit, promtool) = await RunAsync(Promtool, ["check", "metrics"], text);
            Assert.True(exit == 0, $"promtool check metrics on {member.Name}'s /metrics ({exit}): {promtool}\n{text}");
        }
        string disagreement = "";
        bool agree = await Polling.UntilAsync(async () =>
        {
            var nodes = Cluster.Session.Run("Get-PgHaNode -Conninfo $args | ForEach-Object { \"$($_.Name) $($_.Role) $($_.Timeline) $($_.ReplayLagBytes) $($_.ReplayLagSeconds)\" }",
                Cluster.Conninfos.Cast<object?>().ToArray()).ThrowIfErrors().Output.Select(o => o.ToString()!.Split(' ')).ToList();
            var terms = Cluster.Session.Run("Get-PgHaMonitor -Conninfo $args | ForEach-Object { \"$($_.Name) $($_.Term)\" }",
                Cluster.Conninfos.Cast<object?>().ToArray()).ThrowIfErrors().Output.Select(o => o.ToString()!.Split(' ')).ToDictionary(p => p[0], p => p[1]);
            var differences = new List<string>();
            foreach (string[] node in nodes.Where(n => n[1] != "Witness"))
            {
                Dictionary<string, double> m = await MetricsAsync(node[0]);
                string label = $"node=\"{node[0]}\"";
                void Same(string what, string? expected, double? actual)
                {
                    string shown = actual is { } a ? a.ToString(CultureInfo.InvariantCulture) : "";
                    if ((expected ?? "") != shown)
                    {
                        differences.Add($"{node[0]} {what}: Get-PgHa* {expected}, /metrics {shown}");
                    }
                }
                Same("role", "1", m.GetValueOrDefault($"pgha_role{{{label},role=\"{node[1].ToLowerInvariant()}\"}}"));
                Same("timeline", node[2], m.TryGetValue($"pgha_timeline{{{label}}}", out double tl) ? tl : null);
                Same("term", terms[node[0]], m.GetValueOrDefault($"pgha_term{{{label}}}"));
                if (node[1] == "Standby")
                {
                    Same("lag bytes", node[3], m.TryGetValue($"pgha_replication_lag_bytes{{{label}}}", out double lb) ? lb : null);
                    Same("lag seconds", node[4], m.TryGetValue($"pgha_replication_lag_seconds{{{label}}}", out double ls) ? ls : null);
                }
                Same("fenced", "0", m.GetValueOrDefault($"pgha_fenced{{{label}}}"));
                Same("paused", "0", m.GetValueOrDefault($"pgha_paused{{{label}}}"));
                Same("failovers", "0", m.GetValueOrDefault($"pgha_failovers_total{{{label}}}", -1));
                Same("switchovers", "0", m.GetValueOrDefault($"pgha_switchovers_total{{{label}}}", -1));
                Same("primary", node[1] == "Primary" ? "1" : "0", m.GetValueOrDefault($"pgha_primary{{{label}}}"));
            }
            disagreement = string.Join("; ", differences);
            return differences.Count == 0;
        }, Deadline);
        Assert.True(agree, $"/metrics and Get-PgHaNode/Get-PgHaMonitor disagree: {disagreement}");

        // /cluster: the members without conninfo.
        var (clusterStatus, cluster, _) = await GetAsync("node2", "/cluster");
        Assert.Equal(200, clusterStatus);
        using (JsonDocument json = JsonDocument.Parse(cluster))
        {
            Assert.Equal("node1", json.RootElement.GetProperty("leader").GetString());
            Assert.Equal("node1 node2 node3", string.Join(" ", json.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()).Order()));
            Assert.DoesNotContain("conninfo", cluster, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The standby replays nothing while the primary writes 4 MB; it still streams, so only a lag limit refuses it.</summary>
    private async Task LaggingStandbyAsync(string node)
    {
        await Cluster[node].Server.ExecuteAsync("SELECT pg_wal_replay_pause()");
        await Cluster["node1"].Server.ExecuteAsync("CREATE TABLE filler AS SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, 4000) g");
        await ExpectAsync($"{node}'s replay paused behind 4 MB of WAL",
            (node, "/replica", 200), (node, "/replica?lag=1MB", 503), (node, "/read-only?lag=1MB", 503), (node, "/replica?lag=1GB", 200),
            ("node2", "/replica?lag=1MB", 200));
        Assert.True((await MetricsAsync(node))[$"pgha_replication_lag_bytes{{node=\"{node}\"}}"] > 1024 * 1024);
        await Cluster[node].Server.ExecuteAsync("SELECT pg_wal_replay_resume()");
        await ExpectAsync($"{node}'s replay resumed", (node, "/replica?lag=1MB", 200));
    }

    /// <summary>Paused: nothing is fenced or failed over, so the primary is still the primary for clients.</summary>
    private async Task PausedAsync()
    {
        Cluster.Session.Run("Suspend-PgHaMonitor -Conninfo $args[0] -Confirm:$false", Cluster["node1"].Conninfo).ThrowIfErrors();
        bool paused = await Polling.UntilAsync(async () => (await MetricsAsync("node1"))["pgha_paused{node=\"node1\"}"] == 1, Deadline);
        Assert.True(paused, "node1's /metrics does not say paused.\n" + Cluster.DescribeMonitors());
        await ExpectAsync("Monitoring paused", ("node1", "/primary", 200), ("node2", "/replica", 200), ("node1", "/health", 200));
        Assert.Contains("\"paused\":true", (await GetAsync("node1", "/primary")).Body);
        Cluster.Session.Run("Resume-PgHaMonitor -Conninfo $args[0] -Confirm:$false", Cluster["node1"].Conninfo).ThrowIfErrors();
        bool resumed = await Polling.UntilAsync(async () => (await MetricsAsync("node1"))["pgha_paused{node=\"node1\"}"] == 0, Deadline);
        Assert.True(resumed, "node1's /metrics still says paused.\n" + Cluster.DescribeMonitors());
    }

    /// <summary>The standby's server stops; its monitor runs on and says so.</summary>
    private async Task StoppedStandbyAsync(string node, string primary)
    {
        await ExpectAsync($"{node} streams before it is stopped", (node, "/replica", 200));
        await Cluster[node].Server.StopAsync();
        await ExpectAsync($"{node}'s server stopped",
            (node, "/health", 503), (node, "/replica", 503), (node, "/read-only", 503), (node, "/primary", 503), (primary, "/primary", 200));
        Assert.Equal(0, (await MetricsAsync(node))[$"pgha_server_running{{node=\"{node}\"}}"]);
    }

    /// <summary>The other monitors die, so no majority vouches for the primary: it refuses /primary when its lease ends, and fences itself.</summary>
    private async Task FencedPrimaryAsync(string primary)
    {
        string[] others = Cluster.Members.Select(m => m.Name).Where(n => n != primary).ToArray();
        foreach (string other in others)
        {
            await Cluster.MonitorOf(other).KillAsync();
        }
        await ExpectAsync($"{primary} without a majority", (primary, "/primary", 503), (primary, "/read-only", 503));
        bool fenced = await Polling.UntilAsync(async () => (await MetricsAsync(primary))[$"pgha_fenced{{node=\"{primary}\"}}"] == 1, Deadline);
        Assert.True(fenced, $"{primary} did not report itself fenced.\n" + Cluster.DescribeMonitors());
        var (fencedStatus, fencedBody, _) = await GetAsync(primary, "/primary");
        Assert.Equal(503, fencedStatus);
        Assert.Contains("\"fenced\":true", fencedBody);
        Assert.Equal(0, await HealthClient.StatusAsync(Cluster[others[0]].Server.Address, HttpPort, "/health")); // a dead monitor answers nothing
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, string[] arguments, string input)
    {
        Assert.True(File.Exists(program), $"{program} is missing: run tools/setup.sh (it installs prometheus for promtool).");
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
