using System.Diagnostics;
using PgHa.Tests.Fixtures;

namespace PgHa.Tests.Health;

/// <summary>One write through the proxy: when it was sent, and which server acknowledged it (its port), or why it failed.</summary>
public sealed record ProxyWrite(int N, TimeSpan SentAt, TimeSpan AnsweredAt, int? ServerPort, string? Error);

/// <summary>
/// A client writing through HAProxy's read-write port as an application would: a new connection per write,
/// one INSERT that returns the port of the server that committed it, every 50 ms, until stopped.
/// </summary>
public sealed class ProxyWrites : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ProxyWrite> _writes = [];
    private readonly Task _running;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private ProxyWrites(string address, int port) => _running = Task.Run(() => RunAsync(address, port, _stop.Token));

    public static ProxyWrites Start(HaproxyProcess proxy) => new(proxy.Address, proxy.ReadWritePort);

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<ProxyWrite> Writes
    {
        get
        {
            lock (_writes)
            {
                return [.. _writes];
            }
        }
    }

    private async Task RunAsync(string address, int port, CancellationToken ct)
    {
        int n = 0;
        while (!ct.IsCancellationRequested)
        {
            n++;
            TimeSpan sent = _clock.Elapsed;
            ProxyWrite write;
            try
            {
                string? answer = await WireClient.QueryScalarAsync(address, port, "postgres",
                    $"INSERT INTO proxy_writes (n) VALUES ({n}) RETURNING inet_server_port()", TimeSpan.FromSeconds(2), ct);
                write = new ProxyWrite(n, sent, _clock.Elapsed, int.Parse(answer!, System.Globalization.CultureInfo.InvariantCulture), null);
            }
            catch (WireException ex)
            {
                write = new ProxyWrite(n, sent, _clock.Elapsed, null, ex.Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            lock (_writes)
            {
                _writes.Add(write);
            }
            try
            {
                await Task.Delay(50, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
    }
}
