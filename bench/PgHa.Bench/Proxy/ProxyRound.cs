using PgHa.Bench.Failover;
using PgHa.Bench.Hosting;
using PgHa.Bench.Measurement;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Health;

namespace PgHa.Bench.Proxy;

/// <summary>
/// One round on a fresh cluster whose monitors serve /primary, behind HAProxy running examples/haproxy/haproxy.cfg:
/// Invoke-PgHaSwitchover from node1 to node2, a steady pause, then kill -9 of node2's postmaster and the failover
/// the monitors make. Two writers run throughout: one through HAProxy's read-write port (<see cref="ProxyWriteProbe"/>)
/// and one on every node directly (<see cref="WriteProbe"/>, each node's Unix socket), so each event gives the
/// outage a client of the proxy sees beside the gap the servers themselves had.
/// </summary>
public static class ProxyRound
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Aftermath = TimeSpan.FromSeconds(3);

    public static async Task<IReadOnlyList<ProxyEventResult>> RunAsync(PgHaFailoverCluster cluster, BenchSession session, HaproxyProcess proxy, int httpPort, int round,
        CancellationToken ct)
    {
        BenchNode node1 = cluster.Nodes[0], node2 = cluster.Nodes[1];
        await using var direct = WriteProbe.Start(cluster.Nodes);
        await using var through = ProxyWriteProbe.Start(proxy.Address, proxy.ReadWritePort);
        await using var endpoints = PrimaryEndpointWatch.Start(cluster.Nodes, httpPort);
        var results = new List<ProxyEventResult>();
        string switchover = $"switchover {node1.Name} -> {node2.Name}";

        if (!await ProxyWritesLandOnAsync(through, node1, 0, ct))
        {
            return [Failed(round, switchover, "no write through HAProxy landed on node1 within 90 s of the start")];
        }
        await Task.Delay(WarmUp, ct);
        if (cluster.Unsteady(ct) is { } unsteady)
        {
            return [Failed(round, switchover, "before the switchover, " + unsteady)];
        }

        // The switchover, run as an operator would, from the benchmark's session (the cluster secret, which the
        // benchmark points $env:PGHA_CLUSTER_SECRET_FILE at, lets it pause the monitors directly).
        string load = Load();
        double switchedAt = BenchClock.Now;
        session.Invoke("Invoke-PgHaSwitchover", new Dictionary<string, object?>
        {
            ["Name"] = node2.Name,
            ["Conninfo"] = node1.Server.ConninfoFor("pgha"),
            ["Confirm"] = false,
        }, ct);
        results.Add(await MeasureAsync(round, switchover, load, node1, node2, switchedAt, direct, through, endpoints, ct));
        if (results[^1].Failure is not null)
        {
            return results;
        }

        // Steady on node2 before the kill: every monitor follows it, node1 streams from it, HAProxy has settled.
        string kill = $"kill -9 {node2.Name}";
        bool steady = await Polling.UntilAsync(() =>
        {
            var views = cluster.MonitorViews(ct);
            return views.Count == cluster.Nodes.Count && views.All(v => v.Running && v.Primary == node2.Name);
        }, Deadline, ct);
        if (!steady)
        {
            results.Add(Failed(round, kill, $"the monitors did not all follow {node2.Name} within {Deadline.TotalSeconds:0} s of the switchover"));
            return results;
        }
        await Task.Delay(Settle, ct);

        load = Load();
        int pid = node2.Server.Pid ?? throw new InvalidOperationException($"{node2.Name} has no postmaster to kill.");
        double killedAt = BenchClock.Now;
        LinuxProcesses.KillHard(pid);
        WriteAttempt? promoted = null;
        await Polling.UntilAsync(() => (promoted = direct.FirstOk(n => n != node2.Name, killedAt)) is not null, Deadline, ct);
        if (promoted is null)
        {
            results.Add(Failed(round, kill, $"no other node took a write within {Deadline.TotalSeconds:0} s of the kill"));
            return results;
        }
        BenchNode newPrimary = cluster.Nodes.Single(n => n.Name == promoted.Node);
        results.Add(await MeasureAsync(round, $"{kill} -> {newPrimary.Name}", load, node2, newPrimary, killedAt, direct, through, endpoints, ct));
        return results;
    }

    /// <summary>Waits for the proxy's writes to land on <paramref name="newPrimary"/>, then reads both writers and the endpoint watch.</summary>
    private static async Task<ProxyEventResult> MeasureAsync(int round, string name, string load, BenchNode oldPrimary, BenchNode newPrimary, double at,
        WriteProbe direct, ProxyWriteProbe through, PrimaryEndpointWatch endpoints, CancellationToken ct)
    {
        if (!await ProxyWritesLandOnAsync(through, newPrimary, at, ct))
        {
            return Failed(round, name, $"no write through HAProxy landed on {newPrimary.Name} within {Deadline.TotalSeconds:0} s") with { NewPrimary = newPrimary.Name };
        }
        await Task.Delay(Aftermath, ct);
        IReadOnlyList<WriteTick> ticks = direct.Ticks;
        IReadOnlyList<ProxyWriteAttempt> attempts = through.Attempts;
        double? directFirst = ticks.SelectMany(t => t.Attempts).Where(a => a.Ok && a.Node == newPrimary.Name && a.At > at).Select(a => (double?)a.At).Min();
        double? directLastOld = directFirst is { } df
            ? ticks.SelectMany(t => t.Attempts).Where(a => a.Ok && a.Node == oldPrimary.Name && a.At < df).Select(a => (double?)a.At).Max()
            : null;
        var (proxyFirst, proxyGap, outage, failed) = ProxyMeasures(attempts, oldPrimary.Server.Port, newPrimary.Server.Port, at);
        return new ProxyEventResult(round, name, load, newPrimary.Name,
            DirectGap: directFirst - directLastOld,
            Primary200After: endpoints.First200(newPrimary.Name, at) - at,
            DirectFirstWriteAfter: directFirst - at,
            ProxyFirstWriteAfter: proxyFirst - at,
            ProxyOutage: outage,
            ProxyGap: proxyGap,
            FailedProxyWrites: failed,
            MaxWritableAtOnce: ticks.Where(t => t.StartedAt >= at - 1).Select(t => t.Writable).DefaultIfEmpty(0).Max(),
            Failure: null);
    }

    /// <summary>
    /// From the writes through the proxy sent at or after <paramref name="at"/>: when the first one landed on the new
    /// primary; the gap between the last one the old primary acknowledged and that one; the outage as the issue
    /// defines it, from the first failed write (when it was sent) to the first write the new primary acknowledged after
    /// it (when it was answered), 0 when no write failed; and how many failed.
    /// </summary>
    public static (double? FirstOnNew, double? Gap, double? Outage, int Failed) ProxyMeasures(IReadOnlyList<ProxyWriteAttempt> attempts, int oldPort, int newPort, double at)
    {
        var after = attempts.Where(a => a.SentAt >= at).ToList();
        ProxyWriteAttempt? firstOnNew = after.Where(a => a.ServerPort == newPort).MinBy(a => a.AnsweredAt);
        if (firstOnNew is null)
        {
            return (null, null, null, after.Count(a => !a.Ok));
        }
        double? lastOnOld = attempts.Where(a => a.ServerPort == oldPort && a.AnsweredAt < firstOnNew.AnsweredAt).Select(a => (double?)a.AnsweredAt).Max();
        var failures = after.Where(a => !a.Ok && a.SentAt < firstOnNew.AnsweredAt).ToList();
        double outage = 0;
        if (failures.MinBy(a => a.SentAt) is { } firstFailed)
        {
            ProxyWriteAttempt recovered = after.Where(a => a.ServerPort == newPort && a.SentAt >= firstFailed.SentAt).MinBy(a => a.AnsweredAt) ?? firstOnNew;
            outage = recovered.AnsweredAt - firstFailed.SentAt;
        }
        return (firstOnNew.AnsweredAt, firstOnNew.AnsweredAt - lastOnOld, outage, failures.Count);
    }

    /// <summary>Three writes in a row through the proxy, sent after <paramref name="since"/>, all acknowledged by <paramref name="node"/>.</summary>
    private static Task<bool> ProxyWritesLandOnAsync(ProxyWriteProbe through, BenchNode node, double since, CancellationToken ct) =>
        Polling.UntilAsync(() =>
        {
            var recent = through.Attempts.Where(a => a.SentAt >= since).TakeLast(3).ToList();
            return recent.Count == 3 && recent.All(a => a.ServerPort == node.Server.Port);
        }, Deadline, ct);

    private static ProxyEventResult Failed(int round, string name, string why) =>
        new(round, name, Load(), null, null, null, null, null, null, null, 0, 0, why);

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}
