using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations.Monitor;
using PgHa.Sql;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Failover;

/// <summary>
/// The primary's purge of old lag samples, on a real PostgreSQL 15, with the monitor's 5 s statement deadline: in
/// batches, so that a week of samples left by a shortened retention never makes one statement that outlasts it.
/// </summary>
public sealed class MonitoringHistoryPurgeTests
{
    [Fact]
    public async Task OldSamplesGoInBatches_TheRestAtTheNextPurge_NewOnesStay()
    {
        await using var server = await PostgresServer.InitPrimaryAsync("history-purge");
        var context = new OperationContext(new SilentReporter(), null, 5, CancellationToken.None) { StatementTimeoutSeconds = (int)NodeMonitor.StatementTimeout.TotalSeconds };
        await using var connection = await NodeConnector.OpenAsync(context, ConnectionInfo.Parse(server.Conninfo), "postgres");
        int old = MonitoringHistory.PurgeBatch * MonitoringHistory.PurgeBatchesPerRun + 7;
        await using (var setup = new NpgsqlCommand($"""
            CREATE SCHEMA pgha;
            CREATE TABLE pgha.monitoring_history (sample_time timestamptz NOT NULL, standby_node_id integer);
            INSERT INTO pgha.monitoring_history SELECT clock_timestamp() - interval '8 days', g FROM generate_series(1, {old}) g;
            INSERT INTO pgha.monitoring_history SELECT clock_timestamp(), g FROM generate_series(1, 10) g;
            """, connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        Assert.Equal(old - 7, await MonitoringHistory.PurgeAsync(connection, TimeSpan.FromDays(7), CancellationToken.None));
        Assert.Equal(7, await MonitoringHistory.PurgeAsync(connection, TimeSpan.FromDays(7), CancellationToken.None));
        Assert.Equal(0, await MonitoringHistory.PurgeAsync(connection, TimeSpan.FromDays(7), CancellationToken.None));
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pgha.monitoring_history", connection);
        Assert.Equal(10L, (long)(await count.ExecuteScalarAsync())!);
    }
}
