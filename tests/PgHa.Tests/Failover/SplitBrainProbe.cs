using System.Diagnostics;

namespace PgHa.Tests.Failover;

/// <summary>What a <see cref="SplitBrainProbe"/> saw.</summary>
public sealed record SplitBrainReport(int Rounds, int MaxWritableAtOnce, IReadOnlyList<string> EverWritable, string Detail)
{
    public override string ToString() => $"{Rounds} rounds, at most {MaxWritableAtOnce} writable at once, writable at some point: {string.Join(", ", EverWritable)}. {Detail}";
}

/// <summary>
/// Asks every data node "are you a writable primary?" every 50 ms, all nodes at once, and remembers the
/// most that said yes in one round: two means two primaries could take writes at the same instant. Asked
/// through each server's Unix socket, so a node cut off from the network is still asked, as a client on
/// its own side of the cut would.
/// </summary>
public sealed class SplitBrainProbe : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task<SplitBrainReport> _running;

    private SplitBrainProbe(MonitoredCluster cluster) => _running = Task.Run(() => RunAsync(cluster, _stop.Token));

    public static SplitBrainProbe Start(MonitoredCluster cluster) => new(cluster);

    public async Task<SplitBrainReport> StopAsync()
    {
        _stop.Cancel();
        return await _running;
    }

    private static async Task<SplitBrainReport> RunAsync(MonitoredCluster cluster, CancellationToken ct)
    {
        int rounds = 0, max = 0;
        var ever = new SortedSet<string>(StringComparer.Ordinal);
        string detail = string.Empty;
        var clock = Stopwatch.StartNew();
        while (!ct.IsCancellationRequested)
        {
            var started = clock.Elapsed;
            Dictionary<string, bool?> writable = await cluster.WritableAsync();
            rounds++;
            var yes = writable.Where(w => w.Value == true).Select(w => w.Key).ToList();
            ever.UnionWith(yes);
            if (yes.Count > max)
            {
                max = yes.Count;
                detail = $"At {started.TotalSeconds:0.00} s: {string.Join(", ", writable.Select(w => $"{w.Key}={(w.Value is null ? "no answer" : w.Value.Value ? "writable" : "read-only")}"))}.";
            }
            var rest = Interval - (clock.Elapsed - started);
            if (rest > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(rest, ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        return new SplitBrainReport(rounds, max, ever.ToList(), detail);
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
