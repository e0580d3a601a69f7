using PgHa.Core;
using System.Diagnostics;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations.Checks;

/// <summary>
/// Reads a node's <see cref="NodeFacts"/> over one session. Each part is its own statement, so one that
/// the login may not read (pg_ls_archive_statusdir, pg_file_settings and pg_hba_file_rules need a
/// superuser or pg_monitor) leaves that part unknown and the rest still counts.
/// </summary>
internal static class NodeFactsReader
{
    /// <summary>The settings a hot standby refuses to run with below the primary's values.</summary>
    public static readonly IReadOnlyList<string> StandbyMinimumSettings =
        ["max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction"];

    private const string SettingsSql = """
        SELECT current_setting('data_directory'), current_setting('wal_log_hints')::boolean,
               current_setting('data_checksums')::boolean, current_setting('archive_mode'),
               current_setting('shared_preload_libraries'), clock_timestamp(),
               a.failed_count, a.last_failed_wal
          FROM pg_stat_archiver a
        """;

    // pending_restart with the value in the files: a lowered max_connections waits for the next restart,
    // when a standby would refuse to start. Command-line values survive a restart, so they stay as they are.
    private const string StandbySettingsSql = """
        SELECT s.name, s.setting::bigint,
               CASE WHEN s.source IN ('command line', 'environment variable') THEN s.setting::bigint
                    ELSE coalesce((SELECT f.setting FROM pg_file_settings f
                                    WHERE f.name = s.name AND f.setting ~ '^[0-9]+$'
                                    ORDER BY f.seqno DESC LIMIT 1)::bigint, s.boot_val::bigint) END
          FROM pg_settings s
         WHERE s.name = ANY(@names)
        """;

    private const string ArchiveSql = "SELECT count(*)::integer FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'";

    private const string SlotsSql = """
        SELECT slot_name::text, slot_type, active, wal_status,
               pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
                                    ELSE pg_current_wal_lsn() END, restart_lsn)::bigint
          FROM pg_replication_slots ORDER BY slot_name
        """;

    private const string SendersSql = "SELECT coalesce(application_name, ''), state FROM pg_stat_replication";

    private const string HbaSql = """
        SELECT line_number, type, coalesce(database, '{}'), coalesce(user_name, '{}'), address, netmask, auth_method
          FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number
        """;

    private const string AvailableExtensionsSql = "SELECT name::text || '/' || version FROM pg_available_extension_versions";

    private const string InstalledExtensionsSql = "SELECT current_database()::text, extname::text, extversion FROM pg_extension";

    private const string DatabasesSql = "SELECT datname::text FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> current_database() ORDER BY datname";

    /// <summary>What to read beyond the probe (each costs a statement, the extensions a session per database).</summary>
    public sealed record Parts(bool Settings, bool Archive, bool Slots, bool Senders, bool Hba, bool AvailableExtensions, bool InstalledExtensions, bool Metadata);

    public static async Task<NodeFacts> ReadAsync(OperationContext context, NodeRecord node, ConnectionInfo info, Parts parts)
    {
        CancellationToken ct = context.CancellationToken;
        await using NpgsqlConnection connection = await NodeConnector.OpenAsync(context, info, NodeConnector.MetadataDatabaseOf(info)).ConfigureAwait(false);
        NodeProbeResult probe = await StandbyTimeline.ProbeAsync(context, node.Name, connection).ConfigureAwait(false);
        var unreadable = new Dictionary<string, string>();
        var facts = new NodeFacts { Probe = probe, Unreadable = unreadable };

        // Each part as its own statement: one refused for lack of privilege fails alone.
        facts = await ReadPartAsync(facts, unreadable, "settings", async () =>
        {
            await using var cmd = new NpgsqlCommand(SettingsSql, connection);
            long before = Stopwatch.GetTimestamp();
            DateTimeOffset sent = DateTimeOffset.UtcNow;
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            TimeSpan roundTrip = Stopwatch.GetElapsedTime(before);
            var serverClock = new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero);
            return facts with
            {
                DataDirectory = reader.GetString(0),
                WalLogHints = reader.GetBoolean(1),
                DataChecksums = reader.GetBoolean(2),
                ArchiveMode = reader.GetString(3),
                SharedPreloadLibraries = reader.GetString(4),
                ClockOffset = serverClock - (sent + roundTrip / 2),
                ArchiveFailedCount = reader.IsDBNull(6) ? 0 : reader.GetInt64(6),
                LastFailedWal = reader.IsDBNull(7) ? null : reader.GetString(7),
            };
        }).ConfigureAwait(false);
        if (parts.Settings)
        {
            facts = await ReadPartAsync(facts, unreadable, "standbysettings", async () =>
            {
                var values = await ReadRowsAsync(connection, StandbySettingsSql, ct,
                    reader => (Name: reader.GetString(0), Value: new NodeFacts.SettingValue(reader.GetInt64(1), reader.GetInt64(2))),
                    cmd => cmd.Parameters.AddWithValue("names", StandbyMinimumSettings.ToArray())).ConfigureAwait(false);
                return facts with { StandbySettings = values.ToDictionary(v => v.Name, v => v.Value) };
            }).ConfigureAwait(false);
        }
        if (parts.Archive)
        {
            facts = await ReadPartAsync(facts, unreadable, "archive", async () =>
            {
                await using var cmd = new NpgsqlCommand(ArchiveSql, connection);
                return facts with { ArchiveReady = (int)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! };
            }).ConfigureAwait(false);
        }
        if (parts.Slots)
        {
            facts = await ReadPartAsync(facts, unreadable, "slots", async () =>
            {
                var slots = await ReadRowsAsync(connection, SlotsSql, ct, reader => new NodeFacts.SlotFacts(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : Math.Max(0, reader.GetInt64(4)))).ConfigureAwait(false);
                return facts with { Slots = slots };
            }).ConfigureAwait(false);
        }
        if (parts.Senders)
        {
            facts = await ReadPartAsync(facts, unreadable, "senders", async () =>
            {
                var senders = await ReadRowsAsync(connection, SendersSql, ct, reader => (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1))).ConfigureAwait(false);
                return facts with { Senders = senders };
            }).ConfigureAwait(false);
        }
        if (parts.Hba)
        {
            facts = await ReadPartAsync(facts, unreadable, "hba", async () =>
            {
                var rules = await ReadRowsAsync(connection, HbaSql, ct, reader => new NodeFacts.HbaRule(reader.GetInt32(0), reader.GetString(1),
                    reader.GetFieldValue<string[]>(2), reader.GetFieldValue<string[]>(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6))).ConfigureAwait(false);
                return facts with { HbaRules = rules };
            }).ConfigureAwait(false);
        }
        if (parts.AvailableExtensions)
        {
            facts = await ReadPartAsync(facts, unreadable, "extensions", async () =>
            {
                var available = await ReadRowsAsync(connection, AvailableExtensionsSql, ct, reader => reader.GetString(0)).ConfigureAwait(false);
                return facts with { AvailableExtensions = available.ToHashSet(StringComparer.Ordinal) };
            }).ConfigureAwait(false);
        }
        if (parts.InstalledExtensions)
        {
            facts = await ReadPartAsync(facts, unreadable, "installed", async () =>
                facts with { InstalledExtensions = await ReadInstalledExtensionsAsync(context, info, connection).ConfigureAwait(false) }).ConfigureAwait(false);
        }
        if (parts.Metadata)
        {
            facts = await ReadPartAsync(facts, unreadable, "metadata", async () =>
                facts with { Metadata = await new MetadataStore(connection).GetNodesAsync(ct).ConfigureAwait(false) }).ConfigureAwait(false);
        }
        return facts;
    }

    /// <summary>The extensions of every database that takes connections: this session's, then one session per other database, at once.</summary>
    private static async Task<IReadOnlyList<NodeFacts.InstalledExtension>> ReadInstalledExtensionsAsync(OperationContext context, ConnectionInfo info, NpgsqlConnection connection)
    {
        CancellationToken ct = context.CancellationToken;
        var installed = await ReadExtensionsAsync(connection, ct).ConfigureAwait(false);
        var databases = await ReadRowsAsync(connection, DatabasesSql, ct, reader => reader.GetString(0)).ConfigureAwait(false);
        var others = await Task.WhenAll(databases.Select(async database =>
        {
            await using var other = await NodeConnector.OpenAsync(context, info, database).ConfigureAwait(false);
            return await ReadExtensionsAsync(other, ct).ConfigureAwait(false);
        })).ConfigureAwait(false);
        return [.. installed, .. others.SelectMany(list => list)];
    }

    private static Task<List<NodeFacts.InstalledExtension>> ReadExtensionsAsync(NpgsqlConnection connection, CancellationToken ct) =>
        ReadRowsAsync(connection, InstalledExtensionsSql, ct, reader => new NodeFacts.InstalledExtension(reader.GetString(0), reader.GetString(1), reader.GetString(2)));

    private static async Task<List<T>> ReadRowsAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct, Func<NpgsqlDataReader, T> map, Action<NpgsqlCommand>? parameters = null)
    {
        var rows = new List<T>();
        await using var cmd = new NpgsqlCommand(sql, connection);
        parameters?.Invoke(cmd);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }
        return rows;
    }

    private static async Task<NodeFacts> ReadPartAsync(NodeFacts facts, Dictionary<string, string> unreadable, string part, Func<Task<NodeFacts>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            unreadable[part] = $"{ex.MessageText} (SQLSTATE {ex.SqlState})";
            return facts;
        }
        catch (PgHaException ex)
        {
            unreadable[part] = ex.Message;
            return facts;
        }
    }
}
