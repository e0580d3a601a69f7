using PgHa.Tests.Fixtures;

namespace PgHa.Tests.Cluster;

/// <summary>A primary and <c>standbyCount</c> streaming standbys made by the fixtures (not by PgHa), stopped together.</summary>
public sealed class ReplicatedServers : IAsyncDisposable
{
    private ReplicatedServers(PostgresServer primary, IReadOnlyList<PostgresServer> standbys)
    {
        Primary = primary;
        Standbys = standbys;
    }

    public PostgresServer Primary { get; }

    public IReadOnlyList<PostgresServer> Standbys { get; }

    public IEnumerable<PostgresServer> All => Standbys.Prepend(Primary);

    public static async Task<ReplicatedServers> StartAsync(string prefix, int standbyCount, IReadOnlyDictionary<string, string>? settings = null)
    {
        var primary = await PostgresServer.InitPrimaryAsync(prefix + "1", settings);
        var standbys = new List<PostgresServer>();
        try
        {
            for (int i = 0; i < standbyCount; i++)
            {
                standbys.Add(await PostgresServer.CloneStandbyAsync(primary, $"{prefix}{i + 2}"));
            }
        }
        catch
        {
            foreach (var standby in standbys)
            {
                await standby.DisposeAsync();
            }
            await primary.DisposeAsync();
            throw;
        }
        return new ReplicatedServers(primary, standbys);
    }

    /// <summary>Conninfo PgHa registers for a node: its metadata database is pgha.</summary>
    public static string NodeConninfo(PostgresServer server) => server.ConninfoFor("pgha");

    /// <summary>Rows in the metadata tables on the primary, to prove a refused command wrote nothing.</summary>
    public async Task<string> MetadataFingerprintAsync()
    {
        return await Primary.QueryScalarAsync(
            "SELECT (SELECT count(*) FROM pgha.nodes) || '/' || (SELECT count(*) FROM pgha.events) || '/' || " +
            "(SELECT coalesce(max(updated_at)::text, '') FROM pgha.nodes)", "pgha") ?? string.Empty;
    }

    /// <summary>Waits until a standby streams again (after a restart), with a deadline.</summary>
    public static async Task WaitForStreamingAsync(PostgresServer standby)
    {
        bool streaming = await Polling.UntilAsync(async () =>
        {
            try
            {
                return await standby.QueryScalarAsync("SELECT status FROM pg_stat_wal_receiver") == "streaming";
            }
            catch (InvalidOperationException)
            {
                return false; // Still starting up.
            }
        }, TimeSpan.FromSeconds(30));
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
}
