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

    /// <summary>Rows one purge statement deletes at most: each statement stays well inside the monitor's statement deadline.</summary>
    internal const int PurgeBatch = 5000;

    /// <summary>Statements one purge runs at most; what is left goes at the next purge.</summary>
    internal const int PurgeBatchesPerRun = 20;

    /// <summary>
    /// Deletes samples older than <paramref name="retention"/>, in batches of <see cref="PurgeBatch"/>; returns how
    /// many. One DELETE of everything could outlast the monitor's 5 s statement deadline once the retention is
    /// shortened (a week of samples at once) and would then be rolled back and tried again every purge, for ever.
    /// now(), not clock_timestamp(): a stable cutoff lets the index on sample_time find the old rows.
    /// </summary>
    public static async Task<long> PurgeAsync(NpgsqlConnection connection, TimeSpan retention, CancellationToken ct)
    {
        long removed = 0;
        for (int batch = 0; batch < PurgeBatchesPerRun; batch++)
        {
            await using var cmd = new NpgsqlCommand("""
                DELETE FROM pgha.monitoring_history
                 WHERE ctid = ANY (ARRAY(SELECT ctid FROM pgha.monitoring_history
                                          WHERE sample_time < now() - $1 LIMIT $2))
                """, connection);
            cmd.Parameters.Add(new() { Value = retention });
            cmd.Parameters.Add(new() { Value = PurgeBatch });
            int deleted = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            removed += deleted;
            if (deleted < PurgeBatch)
            {
                break;
            }
        }
        return removed;
    }
}
