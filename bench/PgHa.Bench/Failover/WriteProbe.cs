using System.Globalization;
using PgHa.Bench.Measurement;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// The benchmark's writer: every 50 ms it tries one INSERT on EVERY node at once, each through the node's
/// Unix socket on a connection kept open per node (<see cref="WireSession"/>; connected again after it breaks,
/// as an application's pool would), and records which nodes acknowledged it. One writer therefore gives the first write a new primary took, and the
/// most nodes that took a write in the same 50 ms round (two would be two writable primaries). The socket
/// is not subject to nftables, so a node cut off from the network is still asked, as a client on its own
/// side of the cut would ask it.
/// </summary>
public sealed class WriteProbe : IAsyncDisposable
{
    public const string Table = "bench_failover_probe";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);

    private readonly List<WriteTick> _ticks = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private WriteProbe(IReadOnlyList<BenchNode> nodes) => _running = Task.Run(() => RunAsync(nodes, _stop.Token));

    /// <summary>The probe's table, made on the primary (it reaches the standbys by replication).</summary>
    public static Task CreateTableAsync(PostgresServer primary, CancellationToken cancellationToken) =>
        primary.ExecuteAsync($"CREATE TABLE {Table}(seq bigint, node text, at timestamptz DEFAULT clock_timestamp())", cancellationToken: cancellationToken);

    public static WriteProbe Start(IReadOnlyList<BenchNode> nodes) => new(nodes);

    /// <summary>Every round so far, in order.</summary>
    public IReadOnlyList<WriteTick> Ticks
    {
        get
        {
            lock (_ticks)
            {
                return [.. _ticks];
            }
        }
    }

    /// <summary>The first acknowledged write after <paramref name="after"/> on a node that <paramref name="node"/> accepts.</summary>
    public WriteAttempt? FirstOk(Func<string, bool> node, double after) =>
        Ticks.SelectMany(t => t.Attempts).Where(a => a.Ok && a.At > after && node(a.Node)).MinBy(a => a.At);

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }
        await _running;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(IReadOnlyList<BenchNode> nodes, CancellationToken ct)
    {
        var sessions = nodes.Select(n => WireSession.OverSocket(n.Server.SocketDirectory, n.Server.Port, "postgres")).ToList();
        try
        {
            await WriteEveryIntervalAsync(nodes, sessions, ct);
        }
        finally
        {
            foreach (WireSession session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    private async Task WriteEveryIntervalAsync(IReadOnlyList<BenchNode> nodes, IReadOnlyList<WireSession> sessions, CancellationToken ct)
    {
        long seq = 0;
        while (!ct.IsCancellationRequested)
        {
            seq++;
            double started = BenchClock.Now;
            WriteAttempt[] attempts = await Task.WhenAll(nodes.Select((n, i) => TryWriteAsync(n, sessions[i], seq)));
            lock (_ticks)
            {
                _ticks.Add(new WriteTick(seq, started, attempts));
            }
            TimeSpan rest = Interval - TimeSpan.FromSeconds(BenchClock.Now - started);
            if (rest > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(rest, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static async Task<WriteAttempt> TryWriteAsync(BenchNode node, WireSession session, long seq)
    {
        string sql = string.Create(CultureInfo.InvariantCulture, $"INSERT INTO {Table}(seq, node) VALUES ({seq}, '{node.Name}')");
        try
        {
            await session.QueryScalarAsync(sql, AttemptTimeout);
            return new WriteAttempt(node.Name, BenchClock.Now, true, null);
        }
        catch (WireException ex)
        {
            return new WriteAttempt(node.Name, BenchClock.Now, false, ex.Message);
        }
    }
}
