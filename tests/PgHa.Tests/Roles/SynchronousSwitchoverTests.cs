using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Roles;

/// <summary>
/// A switchover under synchronous replication: synchronous_standby_names naming the candidate must not
/// leave commits waiting on the new primary for a standby that no longer exists.
/// </summary>
public sealed class SynchronousSwitchoverTests : IClassFixture<PgHaSession>, IAsyncLifetime
{
    private readonly PgHaSession _session;
    private ReplicatedServers _servers = null!;

    public SynchronousSwitchoverTests(PgHaSession session) => _session = session;

    public async Task InitializeAsync()
    {
        // Node names equal to the fixtures' application_name, as in a cluster PgHa cloned itself.
        _servers = await ReplicatedServers.StartAsync("sy", standbyCount: 2);
        bool first = true;
        foreach (var server in _servers.All)
        {
            _session.Run($"Register-PgHaNode -Role {(first ? "Primary" : "Standby")} -Name {server.Name} -Conninfo $args[0] -DataDirectory $args[1]",
                ReplicatedServers.NodeConninfo(server), server.DataDirectory).ThrowIfErrors();
            first = false;
        }
    }

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task CommitsDoNotHangOnTheNewPrimary()
    {
        var primary = _servers.Primary;
        var candidate = _servers.Standbys[0];
        // The primary waits for the candidate; the candidate carries the same setting (as a copied
        // configuration would), so after promotion it would wait for itself.
        foreach (var server in new[] { primary, candidate })
        {
            await server.ExecuteAsync($"ALTER SYSTEM SET synchronous_standby_names = '{candidate.Name}'");
            await server.ExecuteAsync("SELECT pg_reload_conf()");
        }
        await primary.ExecuteAsync("CREATE TABLE synced (id int)", "pgha");
        Assert.Equal("sync", await primary.QueryScalarAsync($"SELECT sync_state FROM pg_stat_replication WHERE application_name = '{candidate.Name}'"));

        var result = _session.Run("Invoke-PgHaSwitchover -Name $args[0] -Conninfo $args[1] -Confirm:$false", candidate.Name, ReplicatedServers.NodeConninfo(primary)).ThrowIfErrors();
        Assert.True((bool)((dynamic)result.Single().BaseObject).Changed);

        Assert.Equal(primary.Name, await candidate.QueryScalarAsync("SHOW synchronous_standby_names"));
        // A commit on the new primary returns: it waits for the old primary, which streams from it.
        var insert = await FixtureCommand.RunAsPostgresAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            ["-X", "-q", "-d", ReplicatedServers.NodeConninfo(candidate), "-c", "INSERT INTO synced VALUES (1)"], timeout: TimeSpan.FromSeconds(20));
        Assert.True(insert.Succeeded, insert.Describe());
        Assert.True(await Polling.UntilAsync(async () =>
            await candidate.QueryScalarAsync($"SELECT sync_state FROM pg_stat_replication WHERE application_name = '{primary.Name}'") == "sync", TimeSpan.FromSeconds(20)));
    }
}
