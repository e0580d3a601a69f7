using PgHa.Bench.Measurement;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// Asks the given standbys every 50 ms, through their Unix sockets (a connection kept open per standby,
/// connected again after a restart), where their WAL receiver streams from
/// (pg_stat_wal_receiver, status streaming), and remembers when each streaming spell began: the first sighting
/// streaming from an upstream after a sighting of anything else (another upstream, not streaming, no answer)
/// (<see cref="BenchClock"/> seconds). So a standby that streams from a primary restarted in place (Patroni's
/// default after a crash) is seen to stream from it anew, after the restart.
/// </summary>
public sealed class StreamingWatch : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private const string Query = "SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'";

    private readonly List<(string Standby, string Upstream, double At)> _spells = [];
    private readonly Dictionary<string, string?> _current = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private StreamingWatch(IReadOnlyList<BenchNode> standbys) => _running = Task.Run(() => RunAsync(standbys, _stop.Token));

    public static StreamingWatch Start(IReadOnlyList<BenchNode> standbys) => new(standbys);

    /// <summary>When <paramref name="standby"/> was first seen streaming from <paramref name="upstream"/> in a spell that began after <paramref name="since"/>, or null.</summary>
    public double? FirstStreaming(BenchNode standby, BenchNode upstream, double since)
    {
        lock (_spells)
        {
            return _spells.Where(s => s.Standby == standby.Name && s.Upstream == upstream.Endpoint && s.At > since).Select(s => (double?)s.At).FirstOrDefault();
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
            Seen(standby, upstream, BenchClock.Now);
        }
        catch (WireException)
        {
            // Restarting (a follow may restart it) or down: not streaming.
            Seen(standby, null, BenchClock.Now);
        }
    }

    private void Seen(BenchNode standby, string? upstream, double at)
    {
        lock (_spells)
        {
            if (_current.TryGetValue(standby.Name, out string? before) && before == upstream)
            {
                return;
            }
            _current[standby.Name] = upstream;
            if (upstream is not null)
            {
                _spells.Add((standby.Name, upstream, at));
            }
        }
    }
}
