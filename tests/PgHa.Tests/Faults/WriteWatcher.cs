using System.Diagnostics;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;

namespace PgHa.Tests.Faults;

/// <summary>
/// What a <see cref="WriteWatcher"/> saw: the most nodes that accepted writes at one instant, for how long two
/// or more did, and when; and every node's acknowledged probes, for the time to one primary.
/// </summary>
public sealed record WriteWatch(int MaxWritableAtOnce, double TwoWritableSeconds, double? FirstTwoWritableAt, double? LastTwoWritableAt, IReadOnlyDictionary<string, IReadOnlyList<double>> Accepted)
{
    /// <summary>
    /// Seconds from <paramref name="fault"/> until <paramref name="primary"/> took a write after the last write
    /// any other node took: when the cluster had one primary again for good. Null when it never took one.
    /// </summary>
    public double? OnePrimaryAfter(string primary, double fault)
    {
        double othersLast = Accepted.Where(a => a.Key != primary).SelectMany(a => a.Value).Where(t => t >= fault).DefaultIfEmpty(fault).Max();
        double? first = Accepted.TryGetValue(primary, out var mine) ? mine.Where(t => t >= othersLast).Cast<double?>().FirstOrDefault() : null;
        return first is null ? null : Math.Max(0, first.Value - fault);
    }

    /// <summary>
    /// The longest stretch between <paramref name="fault"/> and <paramref name="end"/> in which no node took writes:
    /// a node takes writes from the first to the last of two or more acknowledged probes less than
    /// <see cref="WriteWatcher.MaxGap"/> apart. A single acknowledged probe does not count: a probe that hung on a
    /// frozen node and was acknowledged at the thaw, just before its fence, is no primary. A cluster left without
    /// a primary is this stretch growing; a healthy failover keeps it to the detection.
    /// </summary>
    public double LongestWithoutWrites(double fault, double end)
    {
        var stretches = new List<(double From, double To)>();
        foreach (IReadOnlyList<double> acks in Accepted.Values)
        {
            double[] sorted = [.. acks.Order()];
            for (int first = 0, last; first < sorted.Length; first = last + 1)
            {
                for (last = first; last + 1 < sorted.Length && sorted[last + 1] - sorted[last] <= WriteWatcher.MaxGap.TotalSeconds; last++)
                {
                }
                if (last > first)
                {
                    stretches.Add((sorted[first], sorted[last]));
                }
            }
        }
        double longest = 0, covered = fault;
        foreach (var (from, to) in stretches.Where(s => s.To >= fault && s.From <= end).OrderBy(s => s.From))
        {
            longest = Math.Max(longest, from - covered);
            covered = Math.Max(covered, Math.Min(to, end));
        }
        return Math.Max(longest, end - covered);
    }
}

/// <summary>
/// Tries a real INSERT on every data node every 20 ms, each node on its own session and its own loop (through
/// the node's Unix socket, as a client beside it would), and records the instant of every acknowledged one. A
/// node "accepts writes" from an acknowledged probe through the next 20 ms period, and on through every further
/// acknowledged probe less than 250 ms after the one before, until one is refused or fails; two nodes accepting at
/// one instant is a split brain. A frozen node's probe hangs (30 s at most) and counts at the instant it is
/// acknowledged after the thaw.
/// (Replaces the read-only question of <see cref="SplitBrainProbe"/>: pg_is_in_recovery() says a node could
/// take a write; this proves it did.)
/// </summary>
public sealed class WriteWatcher : IAsyncDisposable
{
    public const string Table = "fault_probe";
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Acks further apart than this are two stretches of accepting writes, not one.</summary>
    internal static readonly TimeSpan MaxGap = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, List<(double Start, double End, bool Ok)>> _probes;
    private readonly Task[] _loops;

    private WriteWatcher(IReadOnlyList<ClusterMember> nodes, Stopwatch clock)
    {
        _probes = nodes.ToDictionary(n => n.Name, _ => new List<(double, double, bool)>());
        _loops = nodes.Select(n => Task.Run(() => WatchAsync(n, clock, _stop.Token))).ToArray();
    }

    public static string CreateTableSql => $"CREATE TABLE {Table} (node text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())";

    public static WriteWatcher Start(IReadOnlyList<ClusterMember> nodes, Stopwatch clock) => new(nodes, clock);

    public async Task<WriteWatch> StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_loops);
        return Analyse();
    }

    /// <summary>What has been seen so far (the watch goes on).</summary>
    public WriteWatch Snapshot() => Analyse();

    private async Task WatchAsync(ClusterMember node, Stopwatch clock, CancellationToken ct)
    {
        await using var session = WireSession.OverSocket(node.Server.SocketDirectory, node.Server.Port, "pgha");
        List<(double, double, bool)> probes = _probes[node.Name];
        while (!ct.IsCancellationRequested)
        {
            double start = clock.Elapsed.TotalSeconds;
            bool ok;
            try
            {
                await session.QueryScalarAsync($"INSERT INTO {Table} (node) VALUES ('{node.Name}') RETURNING 1", ProbeTimeout, ct);
                ok = true;
            }
            catch (WireException)
            {
                ok = false;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            double end = clock.Elapsed.TotalSeconds;
            lock (probes)
            {
                probes.Add((start, end, ok));
            }
            var rest = Period - TimeSpan.FromSeconds(end - start);
            try
            {
                await Task.Delay(rest > TimeSpan.Zero ? rest : TimeSpan.FromMilliseconds(ok ? 0 : 5), ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private WriteWatch Analyse()
    {
        var accepted = new Dictionary<string, IReadOnlyList<double>>();
        // Each node's stretches of accepting writes: from an acknowledged probe to one period after the last
        // acknowledged probe before a failure.
        var edges = new List<(double At, int Delta)>();
        foreach (var (node, list) in _probes)
        {
            List<(double Start, double End, bool Ok)> probes;
            lock (list)
            {
                probes = list.ToList();
            }
            accepted[node] = probes.Where(p => p.Ok).Select(p => p.End).ToList();
            double? from = null, last = null;
            foreach (var probe in probes)
            {
                if (probe.Ok && from is not null && probe.End - last!.Value > MaxGap.TotalSeconds)
                {
                    // A probe that hung (a frozen node, a commit waiting for a standby) was accepted when it was
                    // acknowledged, not all the while: the stretch before it ends one period after its last ack.
                    edges.Add((from.Value, +1));
                    edges.Add((last.Value + Period.TotalSeconds, -1));
                    from = null;
                }
                if (probe.Ok)
                {
                    from ??= probe.End;
                    last = probe.End;
                }
                else if (from is not null)
                {
                    edges.Add((from.Value, +1));
                    edges.Add((Math.Min(last!.Value + Period.TotalSeconds, probe.End), -1));
                    from = null;
                }
            }
            if (from is not null)
            {
                edges.Add((from.Value, +1));
                edges.Add((last!.Value + Period.TotalSeconds, -1));
            }
        }
        int count = 0, max = 0;
        double two = 0, previous = 0;
        double? firstTwo = null, lastTwo = null;
        foreach (var (at, delta) in edges.OrderBy(e => e.At).ThenBy(e => e.Delta))
        {
            if (count >= 2)
            {
                two += at - previous;
                lastTwo = at;
            }
            count += delta;
            if (count >= 2)
            {
                firstTwo ??= at;
            }
            max = Math.Max(max, count);
            previous = at;
        }
        return new WriteWatch(max, two, firstTwo, lastTwo, accepted);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }
}
