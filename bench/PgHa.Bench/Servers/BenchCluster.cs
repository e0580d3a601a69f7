using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Servers;

/// <summary>
/// A primary and N streaming standbys made by the test fixtures (pg_basebackup, not PgHa), stopped
/// together on disposal.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    // pg_basebackup -X stream holds two WAL senders while it copies and each streaming standby one
    // more, so the seed's 10 runs out once several clones overlap on a 9-node cluster.
    private static readonly IReadOnlyDictionary<string, string> PrimarySettings = new Dictionary<string, string>
    {
        ["max_wal_senders"] = "32",
    };

    private BenchCluster(PostgresServer primary, IReadOnlyList<PostgresServer> standbys)
    {
        Primary = primary;
        Standbys = standbys;
    }

    public PostgresServer Primary { get; }

    public IReadOnlyList<PostgresServer> Standbys { get; }

    public IEnumerable<PostgresServer> All => Standbys.Prepend(Primary);

    public int Count => Standbys.Count + 1;

    /// <summary>
    /// Clones the standbys <paramref name="parallelClones"/> at a time: the fixture's clone is
    /// independent per standby (own address, port, directory), and much of a clone is waiting (checkpoint,
    /// start-up, the first streamed WAL), so overlapping them shortens the setup even on 2 cores.
    /// </summary>
    /// <param name="settings">More postgresql.conf settings for every node (the standbys copy the primary's file), e.g. shared_preload_libraries.</param>
    public static async Task<BenchCluster> StartAsync(string prefix, int standbyCount, int parallelClones, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = PrimarySettings.Concat(settings ?? new Dictionary<string, string>()).ToDictionary(s => s.Key, s => s.Value);
        var primary = await PostgresServer.InitPrimaryAsync($"{prefix}n1", all, cancellationToken);
        var clones = new Task<PostgresServer>[standbyCount];
        using var gate = new SemaphoreSlim(parallelClones);
        for (var i = 0; i < standbyCount; i++)
        {
            var name = $"{prefix}n{i + 2}";
            clones[i] = CloneAsync(primary, name, gate, cancellationToken);
        }
        try
        {
            await Task.WhenAll(clones);
        }
        catch
        {
            // Every clone has finished one way or the other here; stop the ones that succeeded.
            foreach (var clone in clones.Where(c => c.IsCompletedSuccessfully))
            {
                await clone.Result.DisposeAsync();
            }
            await primary.DisposeAsync();
            throw;
        }
        return new BenchCluster(primary, clones.Select(c => c.Result).ToList());
    }

    /// <summary>Waits until a restarted standby streams again, so the next scenario starts from a healthy cluster.</summary>
    public static async Task WaitForStreamingAsync(PostgresServer standby, CancellationToken cancellationToken)
    {
        var streaming = await Polling.UntilAsync(async () =>
        {
            try
            {
                return await standby.QueryScalarAsync("SELECT status FROM pg_stat_wal_receiver", cancellationToken: cancellationToken) == "streaming";
            }
            catch (InvalidOperationException)
            {
                return false; // Still starting up.
            }
        }, TimeSpan.FromSeconds(30), cancellationToken);
        if (!streaming)
        {
            throw new InvalidOperationException($"{standby.Name} did not stream again within 30 s.\n{standby.LogTail()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in All.Reverse())
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<PostgresServer> CloneAsync(PostgresServer primary, string name, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await PostgresServer.CloneStandbyAsync(primary, name, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }
}
