using Npgsql;

namespace PgHa.Operations.Clone;

/// <summary>The clone source's settings and usage that decide whether a clone can work, read in one query.</summary>
internal sealed record SourceFacts(
    int ServerVersionNumber,
    bool InRecovery,
    string SystemIdentifier,
    int MaxWalSenders,
    int WalSendersInUse,
    string WalLevel,
    int MaxReplicationSlots,
    int ReplicationSlotsInUse,
    bool WalLogHints,
    bool DataChecksums,
    long DatabaseBytes,
    bool SlotExists)
{
    public int MajorVersion => ServerVersionNumber / 10000;

    public static async Task<SourceFacts> ReadAsync(NpgsqlConnection connection, string? slotName, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT current_setting('server_version_num')::integer,
                   pg_is_in_recovery(),
                   (SELECT system_identifier FROM pg_control_system())::text,
                   current_setting('max_wal_senders')::integer,
                   (SELECT count(*) FROM pg_stat_replication)::integer,
                   current_setting('wal_level'),
                   current_setting('max_replication_slots')::integer,
                   (SELECT count(*) FROM pg_replication_slots)::integer,
                   current_setting('wal_log_hints') = 'on',
                   current_setting('data_checksums') = 'on',
                   (SELECT coalesce(sum(pg_database_size(oid)), 0) FROM pg_database)::bigint,
                   EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)
            """, connection);
        cmd.Parameters.Add(new() { Value = (object?)slotName ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        // A deadline of its own: pg_database_size reads the size of every file of every database, which takes longer
        // than the monitor's statement deadline on a large cluster (its re-clone of a former primary asks this too).
        cmd.CommandTimeout = 60;
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return new SourceFacts(
            reader.GetInt32(0), reader.GetBoolean(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4),
            reader.GetString(5), reader.GetInt32(6), reader.GetInt32(7), reader.GetBoolean(8), reader.GetBoolean(9),
            reader.GetInt64(10), reader.GetBoolean(11));
    }
}
