using Npgsql;
using PgHa.Core;

namespace PgHa.Metadata;

/// <summary>
/// Reads and writes the PgHa metadata (schema pgha) over one open connection. Writes only ever go to the
/// primary; standbys hold a read-only copy through streaming replication.
/// </summary>
internal sealed class MetadataStore
{
    // Taken (transaction-scoped) by every metadata change, so two registrations cannot interleave.
    private const long ChangeLockKey = 0x50_67_48_61_00_01; // "PgHa" + 1

    private readonly NpgsqlConnection _connection;

    public MetadataStore(NpgsqlConnection connection) => _connection = connection;

    public NpgsqlConnection Connection => _connection;

    /// <summary>The installed schema version, 0 when PgHa's schema is not there.</summary>
    public async Task<int> GetSchemaVersionAsync(CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT to_regclass('pgha.schema_version') IS NOT NULL", _connection);
        if (!(bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
        {
            return 0;
        }
        await using var version = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM pgha.schema_version", _connection);
        return (int)(await version.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Creates the schema or brings it up to date; returns the versions applied.</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken ct)
    {
        var applied = new List<int>();
        await using var tx = await _connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await LockAsync(ct).ConfigureAwait(false);
        await ExecuteAsync("""
            CREATE SCHEMA IF NOT EXISTS pgha;
            CREATE TABLE IF NOT EXISTS pgha.schema_version (
                version     integer PRIMARY KEY,
                description text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT clock_timestamp());
            """, ct).ConfigureAwait(false);
        int current = await GetSchemaVersionAsync(ct).ConfigureAwait(false);
        foreach (var step in MetadataMigrations.Steps.Where(s => s.Version > current).OrderBy(s => s.Version))
        {
            await ExecuteAsync(step.Sql, ct).ConfigureAwait(false);
            await using var record = new NpgsqlCommand(
                "INSERT INTO pgha.schema_version (version, description) VALUES ($1, $2)", _connection);
            record.Parameters.Add(new() { Value = step.Version });
            record.Parameters.Add(new() { Value = step.Description });
            await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            applied.Add(step.Version);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return applied;
    }

    /// <summary>Fails with PgHaMetadataMissing / PgHaMetadataTooNew unless the schema is usable.</summary>
    public async Task EnsureReadableAsync(string where, CancellationToken ct)
    {
        int version = await GetSchemaVersionAsync(ct).ConfigureAwait(false);
        if (version == 0)
        {
            throw new PgHaException(PgHaErrorIds.MetadataMissing, where,
                $"There is no PgHa metadata (schema pgha) in the database of '{where}'. Register the primary first with Register-PgHaNode -Role Primary, or point -Conninfo at the right database.");
        }
        int known = MetadataMigrations.Steps.Max(s => s.Version);
        if (version > known)
        {
            throw new PgHaException(PgHaErrorIds.MetadataTooNew, where,
                $"The PgHa metadata on '{where}' is at schema version {version}, newer than this PgHa knows ({known}). Update the PgHa module.");
        }
    }

    /// <summary>Takes the metadata change lock for the current transaction.</summary>
    public async Task LockAsync(CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", _connection);
        cmd.Parameters.Add(new() { Value = ChangeLockKey });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<NodeRecord>> GetNodesAsync(CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT node_id, node_name, role, upstream_node_id, active, location, priority, conninfo,
                   slot_name, data_directory, pg_bindir, ssh_host, ssh_port, ssh_user, monitor_port
              FROM pgha.nodes ORDER BY node_id
            """, _connection);
        var nodes = new List<NodeRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            nodes.Add(new NodeRecord(
                reader.GetInt32(0),
                reader.GetString(1),
                ParseRole(reader.GetString(2)),
                reader.IsDBNull(3) ? null : reader.GetInt32(3),
                reader.GetBoolean(4),
                reader.GetString(5),
                reader.GetInt32(6),
                reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? null : reader.GetInt32(12),
                reader.IsDBNull(13) ? null : reader.GetString(13),
                reader.IsDBNull(14) ? null : reader.GetInt32(14)));
        }
        return nodes;
    }

    public async Task InsertNodeAsync(NodeRecord node, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO pgha.nodes (node_id, node_name, role, upstream_node_id, active, location, priority,
                                    conninfo, slot_name, data_directory, pg_bindir, ssh_host, ssh_port, ssh_user, monitor_port)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            """, _connection);
        AddNodeParameters(cmd, node);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Rewrites the record of <paramref name="node"/>.Id (the name may change with it).</summary>
    public async Task UpdateNodeAsync(NodeRecord node, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE pgha.nodes
               SET node_name = $2, role = $3, upstream_node_id = $4, active = $5, location = $6, priority = $7,
                   conninfo = $8, slot_name = $9, data_directory = $10, pg_bindir = $11,
                   ssh_host = $12, ssh_port = $13, ssh_user = $14, monitor_port = $15, updated_at = clock_timestamp()
             WHERE node_id = $1
            """, _connection);
        AddNodeParameters(cmd, node);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Makes this copy's node records equal to <paramref name="nodes"/> (a witness's copy); call inside a transaction.</summary>
    public async Task ReplaceNodesAsync(IReadOnlyList<NodeRecord> nodes, CancellationToken ct)
    {
        await ExecuteAsync("DELETE FROM pgha.nodes", ct).ConfigureAwait(false);
        foreach (NodeRecord node in nodes)
        {
            // The upstream foreign key is deferred, so the order of inserts does not matter.
            await InsertNodeAsync(node, ct).ConfigureAwait(false);
        }
    }

    public async Task SetActiveAsync(int nodeId, bool active, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "UPDATE pgha.nodes SET active = $2, updated_at = clock_timestamp() WHERE node_id = $1", _connection);
        cmd.Parameters.Add(new() { Value = nodeId });
        cmd.Parameters.Add(new() { Value = active });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task DeleteNodeAsync(int nodeId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("DELETE FROM pgha.nodes WHERE node_id = $1", _connection);
        cmd.Parameters.Add(new() { Value = nodeId });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts an event and returns the row as written (its id and the server's timestamp). Operations
    /// write events through <see cref="MetadataChange"/>, which runs the event hook once they are committed.
    /// </summary>
    public async Task<EventRecord> AddEventAsync(int nodeId, string nodeName, string eventName, bool successful, string? details, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO pgha.events (node_id, node_name, event, successful, details) VALUES ($1, $2, $3, $4, $5)
            RETURNING event_id, event_timestamp
            """, _connection);
        cmd.Parameters.Add(new() { Value = nodeId });
        cmd.Parameters.Add(new() { Value = nodeName });
        cmd.Parameters.Add(new() { Value = eventName });
        cmd.Parameters.Add(new() { Value = successful });
        cmd.Parameters.Add(new() { Value = (object?)details ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return new EventRecord(reader.GetInt64(0), nodeId, nodeName, eventName, successful,
            new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero), details);
    }

    /// <summary>Events newest first, within the time window, with the name the node had when each was written; other filters are the caller's.</summary>
    public async Task<IReadOnlyList<EventRecord>> GetEventsAsync(DateTimeOffset? since, DateTimeOffset? until, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT e.event_id, e.node_id, e.node_name, e.event, e.successful, e.event_timestamp, e.details
              FROM pgha.events e
             WHERE ($1::timestamptz IS NULL OR e.event_timestamp >= $1)
               AND ($2::timestamptz IS NULL OR e.event_timestamp <= $2)
             ORDER BY e.event_timestamp DESC, e.event_id DESC
            """, _connection);
        cmd.Parameters.Add(new() { Value = (object?)since?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new() { Value = (object?)until?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var events = new List<EventRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            events.Add(new EventRecord(
                reader.GetInt64(0),
                reader.GetInt32(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetBoolean(4),
                new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        }
        return events;
    }

    /// <summary>The cluster state row; null before schema version 3.</summary>
    public async Task<ClusterStateRecord?> GetClusterStateAsync(CancellationToken ct)
    {
        await using var check = new NpgsqlCommand("SELECT to_regclass('pgha.cluster_state') IS NOT NULL", _connection);
        if (!(bool)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
        {
            return null;
        }
        await using var cmd = new NpgsqlCommand("""
            SELECT term, term_primary_node_id, term_started_at, paused, paused_at, paused_by, synchronous_set_aside, synchronous_degraded_at
              FROM pgha.cluster_state WHERE id = 1
            """, _connection);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }
        return new ClusterStateRecord(
            reader.GetInt64(0),
            reader.IsDBNull(1) ? null : reader.GetInt32(1),
            Utc(reader.GetDateTime(2)),
            reader.GetBoolean(3),
            reader.IsDBNull(4) ? null : Utc(reader.GetDateTime(4)),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : Utc(reader.GetDateTime(7)));
    }

    /// <summary>Records that <paramref name="primaryId"/> leads from <paramref name="term"/> on; an older term never overwrites a newer one.</summary>
    public async Task SetTermAsync(long term, int primaryId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE pgha.cluster_state SET term = $1, term_primary_node_id = $2, term_started_at = clock_timestamp()
             WHERE id = 1 AND term <= $1
            """, _connection);
        cmd.Parameters.Add(new() { Value = term });
        cmd.Parameters.Add(new() { Value = primaryId });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Starts the next term with <paramref name="primaryId"/> as its primary, unless it already leads the current one; no-op before schema version 3.</summary>
    public async Task BeginTermAsync(int primaryId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE pgha.cluster_state SET term = term + 1, term_primary_node_id = $1, term_started_at = clock_timestamp()
             WHERE id = 1 AND term_primary_node_id IS DISTINCT FROM $1 AND to_regclass('pgha.cluster_state') IS NOT NULL
            """, _connection);
        cmd.Parameters.Add(new() { Value = primaryId });
        if (await GetSchemaVersionAsync(ct).ConfigureAwait(false) >= 3)
        {
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    public async Task SetPausedAsync(bool paused, string? by, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE pgha.cluster_state
               SET paused = $1,
                   paused_at = CASE WHEN $1 THEN clock_timestamp() END,
                   paused_by = CASE WHEN $1 THEN $2 END
             WHERE id = 1
            """, _connection);
        cmd.Parameters.Add(new() { Value = paused });
        cmd.Parameters.Add(new() { Value = (object?)by ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Makes this copy's cluster state equal to <paramref name="state"/> (a witness's copy).</summary>
    public async Task ReplaceClusterStateAsync(ClusterStateRecord state, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE pgha.cluster_state
               SET term = $1, term_primary_node_id = $2, term_started_at = $3, paused = $4, paused_at = $5, paused_by = $6,
                   synchronous_set_aside = $7, synchronous_degraded_at = $8
             WHERE id = 1
            """, _connection);
        cmd.Parameters.Add(new() { Value = state.Term });
        cmd.Parameters.Add(new() { Value = (object?)state.TermPrimaryId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        cmd.Parameters.Add(new() { Value = state.TermStartedAt.UtcDateTime, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new() { Value = state.Paused });
        cmd.Parameters.Add(new() { Value = (object?)state.PausedAt?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new() { Value = (object?)state.PausedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)state.SynchronousSetAside ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)state.SynchronousDegradedAt?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Which backend decides elections (pgha.consensus). <see cref="ConsensusSettings.BuiltIn"/> before schema
    /// version 4, which has no such table: such a cluster has only ever known the built-in quorum.
    /// </summary>
    public async Task<ConsensusSettings> GetConsensusAsync(CancellationToken ct)
    {
        await using var check = new NpgsqlCommand("SELECT to_regclass('pgha.consensus') IS NOT NULL", _connection);
        if (!(bool)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
        {
            return ConsensusSettings.BuiltIn;
        }
        await using var cmd = new NpgsqlCommand("""
            SELECT backend, etcd_endpoints, etcd_prefix, etcd_ca_file, etcd_cert_file, etcd_key_file, changed_at, changed_by
              FROM pgha.consensus WHERE id = 1
            """, _connection);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            return ConsensusSettings.BuiltIn;
        }
        return new ConsensusSettings(
            ParseBackend(reader.GetString(0)),
            reader.GetFieldValue<string[]>(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5))
        {
            ChangedAt = reader.IsDBNull(6) ? null : Utc(reader.GetDateTime(6)),
            ChangedBy = reader.IsDBNull(7) ? null : reader.GetString(7),
        };
    }

    /// <summary>Records the backend (and, for etcd, how to reach it); the caller holds the change lock and decides whether the monitors allow it.</summary>
    public async Task SetConsensusAsync(ConsensusSettings settings, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO pgha.consensus (id, backend, etcd_endpoints, etcd_prefix, etcd_ca_file, etcd_cert_file, etcd_key_file, changed_at, changed_by)
            VALUES (1, $1, $2, $3, $4, $5, $6, coalesce($7, clock_timestamp()), $8)
            ON CONFLICT (id) DO UPDATE
               SET backend = EXCLUDED.backend, etcd_endpoints = EXCLUDED.etcd_endpoints, etcd_prefix = EXCLUDED.etcd_prefix,
                   etcd_ca_file = EXCLUDED.etcd_ca_file, etcd_cert_file = EXCLUDED.etcd_cert_file, etcd_key_file = EXCLUDED.etcd_key_file,
                   changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by
            """, _connection);
        cmd.Parameters.Add(new() { Value = BackendText(settings.Backend) });
        cmd.Parameters.Add(new() { Value = settings.EtcdEndpoints.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)settings.EtcdPrefix ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)settings.EtcdCaFile ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)settings.EtcdCertFile ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)settings.EtcdKeyFile ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)settings.ChangedAt?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new() { Value = (object?)settings.ChangedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Whether the monitors are paused, with the cluster state row locked until the transaction ends (a Resume waits for it); null before schema version 3.</summary>
    public async Task<bool?> LockPausedAsync(CancellationToken ct)
    {
        await using var check = new NpgsqlCommand("SELECT to_regclass('pgha.cluster_state') IS NOT NULL", _connection);
        if (!(bool)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
        {
            return null;
        }
        await using var cmd = new NpgsqlCommand("SELECT paused FROM pgha.cluster_state WHERE id = 1 FOR UPDATE", _connection);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is bool paused ? paused : null;
    }

    public static string BackendText(PgHaConsensusBackend backend) => backend == PgHaConsensusBackend.Etcd ? "etcd" : "builtin";

    private static PgHaConsensusBackend ParseBackend(string text) => text switch
    {
        "builtin" => PgHaConsensusBackend.BuiltIn,
        "etcd" => PgHaConsensusBackend.Etcd,
        _ => throw new InvalidDataException($"pgha.consensus holds an unknown backend '{text}'."),
    };

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public static string RoleText(PgHaRole role) => role.ToString().ToLowerInvariant();

    private static PgHaRole ParseRole(string text) => text switch
    {
        "primary" => PgHaRole.Primary,
        "standby" => PgHaRole.Standby,
        "witness" => PgHaRole.Witness,
        _ => throw new InvalidDataException($"pgha.nodes holds an unknown role '{text}'."),
    };

    private static void AddNodeParameters(NpgsqlCommand cmd, NodeRecord node)
    {
        cmd.Parameters.Add(new() { Value = node.Id });
        cmd.Parameters.Add(new() { Value = node.Name });
        cmd.Parameters.Add(new() { Value = RoleText(node.Role) });
        cmd.Parameters.Add(new() { Value = (object?)node.UpstreamId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        cmd.Parameters.Add(new() { Value = node.Active });
        cmd.Parameters.Add(new() { Value = node.Location });
        cmd.Parameters.Add(new() { Value = node.Priority });
        cmd.Parameters.Add(new() { Value = node.Conninfo });
        cmd.Parameters.Add(new() { Value = (object?)node.SlotName ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)node.DataDirectory ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)node.PgBinDir ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)node.SshHost ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)node.SshPort ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        cmd.Parameters.Add(new() { Value = (object?)node.SshUser ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)node.MonitorPort ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, _connection);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
