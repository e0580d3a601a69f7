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
        await using NpgsqlConnection connection = await NodeConnector.OpenAsync(context, info, NodeConnector.MetadataDatabaseOf(info)).ConfigureAwait(false);
        NodeProbeResult probe = await AnswerAsync(context, node, "probe", ct => StandbyTimeline.ProbeAsync(context.WithCancellation(ct), node.Name, connection)).ConfigureAwait(false);
        var unreadable = new Dictionary<string, string>();
        var facts = new NodeFacts { Probe = probe, Unreadable = unreadable };

        // Each part as its own statement: one refused for lack of privilege fails alone.
        facts = await ReadPartAsync(context, node, facts, unreadable, "settings", async ct =>
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
            facts = await ReadPartAsync(context, node, facts, unreadable, "standbysettings", async ct =>
            {
                var values = await ReadRowsAsync(connection, StandbySettingsSql, ct,
                    reader => (Name: reader.GetString(0), Value: new NodeFacts.SettingValue(reader.GetInt64(1), reader.GetInt64(2))),
                    cmd => cmd.Parameters.AddWithValue("names", StandbyMinimumSettings.ToArray())).ConfigureAwait(false);
                return facts with { StandbySettings = values.ToDictionary(v => v.Name, v => v.Value) };
            }).ConfigureAwait(false);
        }
        if (parts.Archive)
        {
            facts = await ReadPartAsync(context, node, facts, unreadable, "archive", async ct =>
            {
                await using var cmd = new NpgsqlCommand(ArchiveSql, connection);
                return facts with { ArchiveReady = (int)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! };
            }).ConfigureAwait(false);
        }
        if (parts.Slots)
        {
            facts = await ReadPartAsync(context, node, facts, unreadable, "slots", async ct =>
            {
                var slots = await ReadRowsAsync(connection, SlotsSql, ct, reader => new NodeFacts.SlotFacts(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : Math.Max(0, reader.GetInt64(4)))).ConfigureAwait(false);
                return facts with { Slots = slots };
            }).ConfigureAwait(false);
        }
        if (parts.Senders)
        {
            facts = await ReadPartAsync(context, node, facts, unreadable, "senders", async ct =>
            {
                var senders = await ReadRowsAsync(connection, SendersSql, ct, reader => (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1))).ConfigureAwait(false);
                return facts with { Senders = senders };
            }).ConfigureAwait(false);
        }
        if (parts.Hba)
        {
            facts = await ReadPartAsync(context, node, facts, unreadable, "hba", async ct =>
            {
                var rules = await ReadRowsAsync(connection, HbaSql, ct, reader => new NodeFacts.HbaRule(reader.GetInt32(0), reader.GetString(1),
                    reader.GetFieldValue<string[]>(2), reader.GetFieldValue<string[]>(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6))).ConfigureAwait(false);
                return facts with { HbaRules = rules };
            }).ConfigureAwait(false);
        }
        if (parts.AvailableExtensions)
        {
            facts = await ReadPartAsync(context, node, facts, unreadable, "extensions", async ct =>
            {
                var available = await ReadRowsAsync(connection, AvailableExtensionsSql, ct, reader => reader.GetString(0)).ConfigureAwait(false);
                return facts with { AvailableExtensions = available.ToHashSet(StringComparer.Ordinal) };
            }).ConfigureAwait(false);
        }
        if (parts.InstalledExtensions)
        {
            facts = await ReadPartAsync(context, node, facts, unreadable, "installed", async ct =>
                facts with { InstalledExtensions = await ReadInstalledExtensionsAsync(context, node, info, connection, ct).ConfigureAwait(false) }).ConfigureAwait(false);
        }
        if (parts.Metadata)
        {
            facts = await ReadPartAsync(context, node, facts, unreadable, "metadata", async ct =>
                facts with { Metadata = await new MetadataStore(connection).GetNodesAsync(ct).ConfigureAwait(false) }).ConfigureAwait(false);
        }
        return facts;
    }

    /// <summary>
    /// How long each statement on a node whose session opened may take: the connect timeout again. Npgsql's
    /// own limit (30 s) would let a server that hangs after the login (stopped, swapping, or a lock that blocks
    /// the query) hold the whole check up for that long.
    /// </summary>
    public static TimeSpan StatementTimeout(OperationContext context) => TimeSpan.FromSeconds(Math.Max(1, context.ConnectTimeoutSeconds));

    /// <summary>
    /// The extensions of every database that takes connections: this session's, then one session per other
    /// database, at once (each session opened within the connect timeout, each statement within its own).
    /// </summary>
    private static async Task<IReadOnlyList<NodeFacts.InstalledExtension>> ReadInstalledExtensionsAsync(OperationContext context, NodeRecord node, ConnectionInfo info,
        NpgsqlConnection connection, CancellationToken ct)
    {
        var installed = await ReadExtensionsAsync(connection, ct).ConfigureAwait(false);
        var databases = await ReadRowsAsync(connection, DatabasesSql, ct, reader => reader.GetString(0)).ConfigureAwait(false);
        var others = await Task.WhenAll(databases.Select(async database =>
        {
            await using var other = await NodeConnector.OpenAsync(context, info, database).ConfigureAwait(false);
            return await AnswerAsync(context, node, "installed", statement => ReadExtensionsAsync(other, statement)).ConfigureAwait(false);
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

    /// <summary>Reads one part within <see cref="StatementTimeout"/>; a part the server refuses (privileges) is left unknown with the reason.</summary>
    private static async Task<NodeFacts> ReadPartAsync(OperationContext context, NodeRecord node, NodeFacts facts, Dictionary<string, string> unreadable, string part,
        Func<CancellationToken, Task<NodeFacts>> read)
    {
        try
        {
            return await AnswerAsync(context, node, part, read).ConfigureAwait(false);
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

    /// <summary>
    /// Runs one statement within <see cref="StatementTimeout"/>. When it does not answer in time the whole read
    /// of the node ends with <see cref="NodeHangsException"/> (the next statement would wait just as long), and
    /// Npgsql cancels the statement (a hung server's connection is then broken).
    /// </summary>
    private static async Task<T> AnswerAsync<T>(OperationContext context, NodeRecord node, string part, Func<CancellationToken, Task<T>> statement)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        TimeSpan timeout = StatementTimeout(context);
        deadline.CancelAfter(timeout);
        try
        {
            return await statement(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or NpgsqlException or PgHaException
            && deadline.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw new NodeHangsException(
                $"its session opened, but it did not answer the {part} query within {CheckResultText.Seconds(timeout.TotalSeconds)} (the connect timeout): the server hangs, is overloaded, or a lock blocks the query (see pg_locks on {node.Name}).", ex);
        }
    }
}
