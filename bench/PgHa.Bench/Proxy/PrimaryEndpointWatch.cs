using PgHa.Bench.Failover;
using PgHa.Bench.Measurement;

namespace PgHa.Bench.Proxy;

/// <summary>
/// Asks every node's monitor GET /primary every 100 ms (HAProxy asks every second) and keeps each answer, so a
/// round can tell when the new primary's endpoint first said 200: the part of the client-visible outage that is
/// PgHa's (the rest is HAProxy's check interval and its connection to the server).
/// </summary>
public sealed class PrimaryEndpointWatch : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(1) };
    private readonly List<(string Node, double At, int Status)> _answers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private PrimaryEndpointWatch(IReadOnlyList<BenchNode> nodes, int httpPort) => _running = Task.Run(() => RunAsync(nodes, httpPort, _stop.Token));

    public static PrimaryEndpointWatch Start(IReadOnlyList<BenchNode> nodes, int httpPort) => new(nodes, httpPort);

    /// <summary>The first time after <paramref name="after"/> that <paramref name="node"/>'s /primary answered 200, or null.</summary>
    public double? First200(string node, double after)
    {
        lock (_answers)
        {
            return _answers.Where(a => a.Node == node && a.Status == 200 && a.At > after).Select(a => (double?)a.At).FirstOrDefault();
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
        _http.Dispose();
    }

    private async Task RunAsync(IReadOnlyList<BenchNode> nodes, int httpPort, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            double started = BenchClock.Now;
            await Task.WhenAll(nodes.Select(n => AskAsync(n, httpPort, ct)));
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

    private async Task AskAsync(BenchNode node, int httpPort, CancellationToken ct)
    {
        int status;
        try
        {
            using HttpResponseMessage response = await _http.GetAsync($"http://{node.Server.Address}:{httpPort}/primary", ct);
            status = (int)response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            status = 0;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_answers)
        {
            _answers.Add((node.Name, BenchClock.Now, status));
        }
    }
}
