using System.Globalization;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Health;

/// <summary>
/// Clients find the primary, on one cluster whose monitors serve their health endpoints (one cluster, because
/// building it is most of the time):
/// <list type="number">
/// <item>each endpoint on a healthy cluster; /metrics passes promtool and agrees with Get-PgHaNode and Get-PgHaMonitor; /cluster;</item>
/// <item>a lagging standby (replay paused), then monitoring paused (ClientsFindThePrimaryTests.Endpoints.cs);</item>
/// <item>a real HAProxy running examples/haproxy/haproxy.cfg: a client writes through the read-write port, a
/// new connection per write, while a switchover (Invoke-PgHaSwitchover) and then a kill -9 failover happen. The
/// acknowledged writes land on node1, then node2, then the promoted node, never back; never two writable at
/// once; every write acknowledged before the kill is on node2; in the steady states between, the read-only
/// port lands on standbys only. The switchover is held (by its own -EventAction) right after it recorded node2,
/// before node1's rejoin begins: node2's /primary answers 200 and writes through HAProxy land on node2 already;</item>
/// <item>a stopped standby, and a primary that fenced itself when the other monitors died.</item>
/// </list>
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed partial class ClientsFindThePrimaryTests(ITestOutputHelper output) : MonitoredClusterTest(output, "clients", new ClusterShape { Standbys = 2 })
{
    private readonly ITestOutputHelper _output = output;
    private int? _httpPort;

    private int HttpPort => _httpPort ??= HealthPorts.FreeOnAll(Cluster.Members.Select(m => m.Server.Address));

    protected override IReadOnlyDictionary<string, string>? MonitorSettings => new Dictionary<string, string> { ["HttpPort"] = HttpPort.ToString(CultureInfo.InvariantCulture) };

    protected override async Task PrepareAsync() =>
        await Cluster["node1"].Server.ExecuteAsync("CREATE TABLE proxy_writes (n integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())");

    [Fact]
    public async Task Endpoints_ThenHaproxyThroughSwitchoverAndFailover_ThenStoppedAndFenced()
    {
        await HealthyClusterAsync();
        await LaggingStandbyAsync("node3");
        await PausedAsync();
        string promoted = await RouteThroughSwitchoverAndFailoverAsync();
        string standby = new[] { "node1", "node3" }.First(n => n != promoted);
        await StoppedStandbyAsync(standby, promoted);
        await FencedPrimaryAsync(promoted);
    }

    private async Task<string> RouteThroughSwitchoverAndFailoverAsync()
    {
        await using HaproxyProcess proxy = await HaproxyProcess.StartAsync(Path.Combine(Cluster.Directory, "haproxy"),
            Cluster.DataNodes.Select(m => new HaproxyBackend(m.Name, m.Server.Address, m.Server.Port, HttpPort)).ToList());
        Dictionary<int, string> byPort = Cluster.DataNodes.ToDictionary(m => m.Server.Port, m => m.Name);
        await using var probe = SplitBrainProbe.Start(Cluster);
        var writes = ProxyWrites.Start(proxy);
        string context() => $"{Describe(writes.Writes, byPort)}\n--- haproxy ---\n{proxy.Output}\n{Cluster.DescribeMonitors()}";

        Assert.True(await WritesLandOnAsync(writes, byPort, "node1", since: TimeSpan.Zero), "No write through HAProxy landed on node1.\n" + context());
        await AssertReadsOnStandbysAsync(proxy, "before the switchover", context);

        TimeSpan switchoverAt = writes.Now;
        var (heldAt, landedBeforeRejoin) = await SwitchOverHoldingTheRejoinAsync(writes, byPort);
        Assert.True(heldAt.StartsWith("200 refused", StringComparison.Ordinal),
            $"When the switchover had recorded node2, before node1's rejoin: node2's /primary and node1's port answered '{heldAt}', not '200 refused'.\n" + context());
        Assert.True(landedBeforeRejoin, "Before node1's rejoin began, no write through HAProxy landed on node2.\n" + context());
        Assert.True(await WritesLandOnAsync(writes, byPort, "node2", switchoverAt), "After the switchover no write through HAProxy landed on node2.\n" + context());
        _output.WriteLine($"Switchover: {Outage(writes.Writes, switchoverAt)}");
        await AssertReadsOnStandbysAsync(proxy, "after the switchover", context);

        // Every write acknowledged so far is on the new primary: a switchover loses nothing, and nothing was acknowledged elsewhere.
        int[] acknowledged = writes.Writes.Where(w => w.ServerPort is not null).Select(w => w.N).ToArray();
        string? present = await Cluster["node2"].Server.QueryScalarAsync($"SELECT count(*) FROM proxy_writes WHERE n IN ({string.Join(",", acknowledged)})");
        Assert.True(present == acknowledged.Length.ToString(CultureInfo.InvariantCulture), $"{present} of {acknowledged.Length} acknowledged writes are on node2.\n" + context());

        TimeSpan killedAt = writes.Now;
        await Cluster["node2"].Server.KillAsync();
        string? promoted = await Cluster.WaitForNewPrimaryAsync("node2", TimeSpan.FromSeconds(30));
        Assert.True(promoted is not null, "No standby was promoted within 30 s of the kill.\n" + context());
        Assert.True(await WritesLandOnAsync(writes, byPort, promoted!, killedAt), $"After the failover no write through HAProxy landed on {promoted}.\n" + context());
        _output.WriteLine($"Failover to {promoted}: {Outage(writes.Writes, killedAt)}");
        await AssertReadsOnStandbysAsync(proxy, "after the failover", context);

        await writes.DisposeAsync();
        SplitBrainReport report = await probe.StopAsync();
        Assert.True(report.MaxWritableAtOnce <= 1, $"Two writable primaries at once: {report}\n" + context());

        // The nodes that acknowledged writes, in order: each primary in turn, never back to a former one.
        List<string> order = [];
        foreach (ProxyWrite write in writes.Writes.Where(w => w.ServerPort is not null))
        {
            string node = byPort[write.ServerPort!.Value];
            if (order.Count == 0 || order[^1] != node)
            {
                order.Add(node);
            }
        }
        Assert.True(order.SequenceEqual(["node1", "node2", promoted!]), $"Writes landed on {string.Join(" → ", order)}.\n" + context());
        // Nothing acknowledged by the new primary is missing from it.
        int[] afterFailover = writes.Writes.Where(w => w.ServerPort == Cluster[promoted!].Server.Port).Select(w => w.N).ToArray();
        string? kept = await Cluster[promoted!].Server.QueryScalarAsync($"SELECT count(*) FROM proxy_writes WHERE n IN ({string.Join(",", afterFailover)})");
        Assert.Equal(afterFailover.Length.ToString(CultureInfo.InvariantCulture), kept);
        return promoted!;
    }

    /// <summary>
    /// Switches over to node2 with an -EventAction that holds the switchover right after it recorded node2 as the
    /// primary, before node1's rejoin begins (the engine awaits the action): it waits there for node2's /primary
    /// to answer 200 and notes whether node1's port still refuses connections, then waits for the test to have
    /// seen writes through HAProxy land on node2. Returns what the action saw and whether those writes landed
    /// while it held.
    /// </summary>
    private async Task<(string HeldAt, bool LandedBeforeRejoin)> SwitchOverHoldingTheRejoinAsync(ProxyWrites writes, Dictionary<int, string> byPort)
    {
        string seen = Path.Combine(Cluster.Directory, "switchover-held");
        string release = Path.Combine(Cluster.Directory, "switchover-release");
        const string script = """
            $newPrimary = $args[1]; $newAddress = $args[2]; $httpPort = $args[3]; $oldAddress = $args[4]; $oldPort = $args[5]; $seen = $args[6]; $release = $args[7]
            $hold = {
                if ($_.Event -ne 'standby_switchover') { return }
                $http = [System.Net.Http.HttpClient]::new()
                $http.Timeout = [TimeSpan]::FromSeconds(2)
                $status = 0
                $deadline = [DateTime]::UtcNow.AddSeconds(30)
                while ($status -ne 200 -and [DateTime]::UtcNow -lt $deadline) {
                    try { $status = [int]$http.GetAsync("http://${newAddress}:$httpPort/primary").GetAwaiter().GetResult().StatusCode } catch { $status = 0 }
                    if ($status -ne 200) { [System.Threading.Thread]::Sleep(50) }
                }
                $tcp = [System.Net.Sockets.TcpClient]::new()
                $old = try { $tcp.Connect($oldAddress, $oldPort); 'answers' } catch { 'refused' } finally { $tcp.Dispose() }
                [System.IO.File]::WriteAllText($seen, "$status $old")
                # The hosted engine of the tests has no Utility module (no Start-Sleep, Set-Content): .NET instead.
                $deadline = [DateTime]::UtcNow.AddSeconds(60)
                while (-not [System.IO.File]::Exists($release) -and [DateTime]::UtcNow -lt $deadline) { [System.Threading.Thread]::Sleep(50) }
            }.GetNewClosure()
            Invoke-PgHaSwitchover -Conninfo $args[0] -Name $newPrimary -Confirm:$false -EventAction $hold
            """;
        ClusterMember node1 = Cluster["node1"], node2 = Cluster["node2"];
        Task<RunResult> switchover = Task.Run(() => Cluster.Session.Run(script, node1.Conninfo, node2.Name, node2.Server.Address, HttpPort, node1.Server.Address, node1.Server.Port, seen, release));
        string heldAt = "(the switchover never reached its standby_switchover event)";
        bool landed = false;
        try
        {
            if (await Polling.UntilAsync(() => File.Exists(seen) || switchover.IsCompleted, TimeSpan.FromSeconds(90)) && File.Exists(seen))
            {
                heldAt = (await File.ReadAllTextAsync(seen)).Trim();
                TimeSpan heldSince = writes.Now;
                landed = !switchover.IsCompleted && await WritesLandOnAsync(writes, byPort, "node2", heldSince) && !switchover.IsCompleted;
            }
        }
        finally
        {
            // Released in any case (the action gives up after 60 s on its own): nothing else may use the session before.
            await File.WriteAllTextAsync(release, "");
        }
        (await switchover).ThrowIfErrors();
        return (heldAt, landed);
    }

    /// <summary>Waits (with a deadline) for three writes in a row sent after <paramref name="since"/> that <paramref name="node"/> acknowledged.</summary>
    private static async Task<bool> WritesLandOnAsync(ProxyWrites writes, Dictionary<int, string> byPort, string node, TimeSpan since) =>
        await Polling.UntilAsync(() =>
        {
            var recent = writes.Writes.Where(w => w.SentAt >= since).TakeLast(3).ToList();
            return recent.Count == 3 && recent.All(w => w.ServerPort is { } port && byPort[port] == node);
        }, TimeSpan.FromSeconds(45));

    /// <summary>Six connections in a row through the read-only port all land on a standby (in recovery); waited for, since HAProxy needs a check to see a rejoined standby.</summary>
    private async Task AssertReadsOnStandbysAsync(HaproxyProcess proxy, string when, Func<string> context)
    {
        List<string?> answers = [];
        bool standbysOnly = await Polling.UntilAsync(async () =>
        {
            answers = [];
            for (int i = 0; i < 6; i++)
            {
                try
                {
                    answers.Add(await WireClient.QueryScalarAsync(proxy.Address, proxy.ReadOnlyPort, "postgres",
                        "SELECT pg_is_in_recovery()::text || ' ' || inet_server_port()", TimeSpan.FromSeconds(2)));
                }
                catch (WireException ex)
                {
                    answers.Add(ex.Message);
                }
            }
            return answers.All(a => a is not null && a.StartsWith("true ", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(45));
        Assert.True(standbysOnly, $"The read-only port did not land on standbys only {when}: {string.Join("; ", answers)}\n" + context());
        _output.WriteLine($"Read-only port {when}: {string.Join("; ", answers)}");
    }

    /// <summary>First failed write to first acknowledged one by the next primary, after <paramref name="since"/>.</summary>
    private static string Outage(IReadOnlyList<ProxyWrite> writes, TimeSpan since)
    {
        var after = writes.Where(w => w.SentAt >= since).ToList();
        ProxyWrite? firstFailed = after.FirstOrDefault(w => w.ServerPort is null);
        if (firstFailed is null)
        {
            return "no write failed";
        }
        ProxyWrite? recovered = after.FirstOrDefault(w => w.SentAt > firstFailed.SentAt && w.ServerPort is not null);
        return recovered is null ? "writes did not recover"
            : $"{after.Count(w => w.ServerPort is null)} writes failed; client-visible outage {(recovered.AnsweredAt - firstFailed.SentAt).TotalSeconds:0.00} s";
    }

    private static string Describe(IReadOnlyList<ProxyWrite> writes, Dictionary<int, string> byPort) =>
        "--- writes ---\n" + string.Join("\n", writes.Select(w =>
            $"{w.N} {w.SentAt.TotalSeconds:0.00}-{w.AnsweredAt.TotalSeconds:0.00} {(w.ServerPort is { } p ? byPort.GetValueOrDefault(p, p.ToString(CultureInfo.InvariantCulture)) : "failed: " + w.Error)}"));
}
