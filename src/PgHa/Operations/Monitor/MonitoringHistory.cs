using Npgsql;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Replication lag samples in pgha.monitoring_history, written on the primary (repmgr's
/// monitoring_history): one row per attached standby, matched to its record by application_name = node name.
/// </summary>
internal static class MonitoringHistory
{
    /// <summary>How often the primary's monitor removes samples older than the retention.</summary>
    public static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(10);

    /// <summary>Writes one sample per attached standby; returns how many.</summary>
    public static async Task<int> SampleAsync(NpgsqlConnection connection, int primaryNodeId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO pgha.monitoring_history (primary_node_id, standby_node_id, primary_lsn, standby_receive_lsn,
                                                 standby_replay_lsn, replication_lag_bytes, replay_lag_seconds)
            SELECT $1, n.node_id, pg_current_wal_lsn(), r.flush_lsn, r.replay_lsn,
                   pg_wal_lsn_diff(pg_current_wal_lsn(), r.flush_lsn)::bigint,
                   extract(epoch FROM r.replay_lag)::double precision
              FROM pg_stat_replication r
              JOIN pgha.nodes n ON n.node_name = r.application_name
            """, connection);
        cmd.Parameters.Add(new() { Value = primaryNodeId });
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Deletes samples older than <paramref name="retention"/>; returns how many.</summary>
    public static async Task<long> PurgeAsync(NpgsqlConnection connection, TimeSpan retention, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "DELETE FROM pgha.monitoring_history WHERE sample_time < clock_timestamp() - $1", connection);
        cmd.Parameters.Add(new() { Value = retention });
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
