using System.Collections.Concurrent;
using System.Globalization;
using PgHa.Bench.Measurement;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Proxy;

/// <summary>
/// A client writing through HAProxy as an application with a connection pool does: every 50 ms one INSERT
/// (returning the port of the server that committed it) is started, on an idle pooled connection if there is
/// one, else on a new one, without waiting for the writes still under way. A connection that failed in any way
/// is thrown away, so the next write connects again and HAProxy routes it afresh. Writes do not queue behind a
/// hung one: the first write that can succeed after an outage is sent within 50 ms of that becoming possible,
/// whatever the writes before it are waiting for (HAProxy retries a refused server for seconds).
/// </summary>
public sealed class ProxyWriteProbe : IAsyncDisposable
{
    public const string Table = "bench_proxy_probe";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>HAProxy's "timeout connect" of the example: a write that waits longer is given up (counted as failed).</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    /// <summary>At 50 ms apart and 2 s at most each, never more than 40 are under way; the cap is a guard.</summary>
    private const int MaxInFlight = 64;

    private readonly string _address;
    private readonly int _port;
    private readonly List<ProxyWriteAttempt> _attempts = [];
    private readonly ConcurrentBag<WireSession> _idle = [];
    private readonly List<Task> _inFlight = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private ProxyWriteProbe(string address, int port)
    {
        _address = address;
        _port = port;
        _running = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The probe's table, made on the primary (it reaches the standbys by replication).</summary>
    public static Task CreateTableAsync(PostgresServer primary, CancellationToken cancellationToken) =>
        primary.ExecuteAsync($"CREATE TABLE {Table}(seq bigint, at timestamptz DEFAULT clock_timestamp())", cancellationToken: cancellationToken);

    public static ProxyWriteProbe Start(string address, int port) => new(address, port);

    /// <summary>Every write answered so far, in the order they were sent.</summary>
    public IReadOnlyList<ProxyWriteAttempt> Attempts
    {
        get
        {
            lock (_attempts)
            {
                return [.. _attempts.OrderBy(a => a.Seq)];
            }
        }
    }

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }
        await _running;
        Task[] pending;
        lock (_inFlight)
        {
            pending = [.. _inFlight];
        }
        await Task.WhenAll(pending); // each ends within its timeout
        while (_idle.TryTake(out WireSession? session))
        {
            await session.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        long seq = 0;
        while (!ct.IsCancellationRequested)
        {
            double started = BenchClock.Now;
            seq++;
            lock (_inFlight)
            {
                _inFlight.RemoveAll(t => t.IsCompleted);
                if (_inFlight.Count < MaxInFlight)
                {
                    long n = seq;
                    _inFlight.Add(Task.Run(() => WriteAsync(n)));
                }
                else
                {
                    Record(new ProxyWriteAttempt(seq, started, started, null, $"not sent: {MaxInFlight} writes under way"));
                }
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

    private async Task WriteAsync(long seq)
    {
        double sent = BenchClock.Now;
        WireSession session = _idle.TryTake(out WireSession? pooled) ? pooled : WireSession.OverTcp(_address, _port, "postgres");
        try
        {
            string? port = await session.QueryScalarAsync(
                string.Create(CultureInfo.InvariantCulture, $"INSERT INTO {Table}(seq) VALUES ({seq}) RETURNING inet_server_port()"), AttemptTimeout);
            Record(new ProxyWriteAttempt(seq, sent, BenchClock.Now, int.Parse(port!, CultureInfo.InvariantCulture), null));
            _idle.Add(session);
        }
        catch (WireException ex)
        {
            // Also a server's own error (read-only, shutting down): that connection leads to a server that is not
            // the primary any more, so it is not reused.
            Record(new ProxyWriteAttempt(seq, sent, BenchClock.Now, null, ex.Message));
            await session.DisposeAsync();
        }
    }

    private void Record(ProxyWriteAttempt attempt)
    {
        lock (_attempts)
        {
            _attempts.Add(attempt);
        }
    }
}
