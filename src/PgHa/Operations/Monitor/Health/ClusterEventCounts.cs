using Npgsql;

namespace PgHa.Operations.Monitor.Health;

/// <summary>
/// How many failovers and switchovers the cluster's event log records (successful failover_promote and
/// standby_switchover events). Read with the monitor's metadata refresh, from the same copy of the
/// metadata, so every node reports the same counts once its copy has replayed them.
/// </summary>
internal static class ClusterEventCounts
{
    public static async Task<(long Failovers, long Switchovers)> ReadAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE event = 'failover_promote'),
                   count(*) FILTER (WHERE event = 'standby_switchover')
              FROM pgha.events
             WHERE successful AND event IN ('failover_promote', 'standby_switchover')
            """, connection);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
