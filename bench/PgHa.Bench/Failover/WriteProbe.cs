using System.Globalization;
using PgHa.Bench.Measurement;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>One INSERT tried on one node: when it was acknowledged or refused (<see cref="BenchClock"/> seconds), and why not.</summary>
public sealed record WriteAttempt(string Node, double At, bool Ok, string? Error);

/// <summary>One round of the probe: the same INSERT tried on every node at once.</summary>
public sealed record WriteTick(long Seq, double StartedAt, IReadOnlyList<WriteAttempt> Attempts)
{
    public int Writable => Attempts.Count(a => a.Ok);
}

/// <summary>
/// The benchmark's writer: every 50 ms it tries one INSERT on EVERY node at once, each through the node's
/// Unix socket (a new connection each time, as the failover tests' split-brain probe does), and records
/// which nodes acknowledged it. One writer therefore gives the first write a new primary took, and the
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
        long seq = 0;
        while (!ct.IsCancellationRequested)
        {
            seq++;
            double started = BenchClock.Now;
            WriteAttempt[] attempts = await Task.WhenAll(nodes.Select(n => TryWriteAsync(n, seq)));
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

    private static async Task<WriteAttempt> TryWriteAsync(BenchNode node, long seq)
    {
        string sql = string.Create(CultureInfo.InvariantCulture, $"INSERT INTO {Table}(seq, node) VALUES ({seq}, '{node.Name}')");
        try
        {
            await WireClient.QueryScalarOverSocketAsync(node.Server.SocketDirectory, node.Server.Port, "postgres", sql, AttemptTimeout);
            return new WriteAttempt(node.Name, BenchClock.Now, true, null);
        }
        catch (WireException ex)
        {
            return new WriteAttempt(node.Name, BenchClock.Now, false, ex.Message);
        }
    }
}
