using PgHa.Bench.Measurement;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// Asks the given standbys every 50 ms, through their Unix sockets (a connection kept open per standby,
/// connected again after a restart), where their WAL receiver streams from
/// (pg_stat_wal_receiver, status streaming), and remembers when each was first seen streaming from each
/// upstream (<see cref="BenchClock"/> seconds).
/// </summary>
public sealed class StreamingWatch : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private const string Query = "SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'";

    private readonly Dictionary<(string Standby, string Upstream), double> _first = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private StreamingWatch(IReadOnlyList<BenchNode> standbys) => _running = Task.Run(() => RunAsync(standbys, _stop.Token));

    public static StreamingWatch Start(IReadOnlyList<BenchNode> standbys) => new(standbys);

    /// <summary>When <paramref name="standby"/> was first seen streaming from <paramref name="upstream"/>, or null.</summary>
    public double? FirstStreaming(BenchNode standby, BenchNode upstream)
    {
        lock (_first)
        {
            return _first.TryGetValue((standby.Name, upstream.Endpoint), out double at) ? at : null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }
        await _running;
        _stop.Dispose();
    }

    private async Task RunAsync(IReadOnlyList<BenchNode> standbys, CancellationToken ct)
    {
        var sessions = standbys.Select(n => WireSession.OverSocket(n.Server.SocketDirectory, n.Server.Port, "postgres")).ToList();
        try
        {
            await AskEveryIntervalAsync(standbys, sessions, ct);
        }
        finally
        {
            foreach (WireSession session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    private async Task AskEveryIntervalAsync(IReadOnlyList<BenchNode> standbys, IReadOnlyList<WireSession> sessions, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            double started = BenchClock.Now;
            await Task.WhenAll(standbys.Select((n, i) => AskAsync(n, sessions[i])));
            TimeSpan rest = Interval - TimeSpan.FromSeconds(BenchClock.Now - started);
            try
            {
                await Task.Delay(rest > TimeSpan.Zero ? rest : TimeSpan.Zero, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task AskAsync(BenchNode standby, WireSession session)
    {
        try
        {
            string? upstream = await session.QueryScalarAsync(Query, TimeSpan.FromSeconds(1));
            double at = BenchClock.Now;
            if (upstream is not null)
            {
                lock (_first)
                {
                    _first.TryAdd((standby.Name, upstream), at);
                }
            }
        }
        catch (WireException)
        {
            // Restarting (a follow may restart it) or down: not streaming.
        }
    }
}
