using PgHa.Bench.Measurement;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PgHa.Bench.Failover;

/// <summary>
/// Where an etcd-decided cluster keeps its leader key: an etcd member's client URL and the key (PgHa's
/// PREFIX/leader, Patroni's /service/SCOPE/leader).
/// </summary>
public sealed record EtcdLeaderKey(string ClientUrl, string Key);

/// <summary>
/// Asks etcd every 20 ms whether the leader key exists (a count-only range through etcd's JSON gateway, the same
/// for PgHa and Patroni), so that a round can split the fault's time to the first write into the key's end (the
/// lease's TTL after its last keepalive, plus etcd's own check of expired leases, every 0.5 s in etcd 3.4) and the
/// reaction to it. The key's end is the first answer without it; the resolution is one poll plus one request.
/// </summary>
public sealed class LeaderKeyWatch : IAsyncDisposable
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(20);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(1) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private double? _goneAt;

    private LeaderKeyWatch(EtcdLeaderKey key, double after) => _loop = Task.Run(() => PollAsync(key, after));

    /// <summary>Watches from now on; <see cref="GoneAt"/> is the first BenchClock time after <paramref name="after"/> without the key.</summary>
    public static LeaderKeyWatch Start(EtcdLeaderKey key, double after) => new(key, after);

    public double? GoneAt => _goneAt;

    private async Task PollAsync(EtcdLeaderKey key, double after)
    {
        var body = new JsonObject { ["key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(key.Key)), ["count_only"] = true };
        string url = key.ClientUrl.TrimEnd('/') + "/v3/kv/range";
        while (!_stop.IsCancellationRequested && _goneAt is null)
        {
            try
            {
                using HttpResponseMessage answer = await _http.PostAsJsonAsync(url, body, _stop.Token);
                double at = BenchClock.Now;
                using JsonDocument json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(_stop.Token));
                // etcd leaves a count of 0 out of its answer; an answer without a header is an error, not an absence.
                bool answered = json.RootElement.TryGetProperty("header", out _);
                bool present = json.RootElement.TryGetProperty("count", out JsonElement count) && count.ToString() is not ("0" or "");
                if (answered && !present && at > after)
                {
                    _goneAt = at;
                }
                await Task.Delay(Every, _stop.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                // etcd busy or the round ending: the next poll decides.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _http.Dispose();
    }
}
