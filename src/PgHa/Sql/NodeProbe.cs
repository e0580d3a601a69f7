using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;

namespace PgHa.Sql;

/// <summary>The one query that tells a node's role, timeline, WAL positions and upstream in a single round trip.</summary>
internal static class NodeProbe
{
    // Timeline: a primary's current WAL file name starts with its timeline (pg_walfile_name is refused in
    // recovery, hence the CASE); a standby reports the timeline it receives, or its last checkpoint's.
    // Lag in seconds is 0 when replay has caught up with what was received: an idle primary is not lag.
    private const string ProbeSql = """
        SELECT pg_is_in_recovery(),
               current_setting('server_version'),
               current_setting('server_version_num')::integer,
               (SELECT system_identifier FROM pg_control_system())::text,
               CASE WHEN pg_is_in_recovery()
                    THEN coalesce(r.received_tli, (SELECT timeline_id FROM pg_control_checkpoint()))
                    ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::integer END,
               CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
               pg_last_wal_receive_lsn()::text,
               pg_last_wal_replay_lsn()::text,
               CASE WHEN NOT pg_is_in_recovery() THEN NULL
                    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                    ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::double precision END,
               r.status, r.sender_host, r.sender_port, r.latest_end_lsn::text
          FROM (SELECT 1) AS one
          LEFT JOIN pg_stat_wal_receiver r ON true
        """;

    public static async Task<NodeProbeResult> ProbeAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ProbeSql, connection);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return new NodeProbeResult
        {
            InRecovery = reader.GetBoolean(0),
            ServerVersion = reader.GetString(1),
            ServerVersionNumber = reader.GetInt32(2),
            SystemIdentifier = reader.GetString(3),
            Timeline = reader.IsDBNull(4) ? null : reader.GetInt32(4),
            CurrentLsn = Lsn(reader, 5),
            ReceiveLsn = Lsn(reader, 6),
            ReplayLsn = Lsn(reader, 7),
            ReplayLagSeconds = reader.IsDBNull(8) ? null : reader.GetDouble(8),
            ReceiverStatus = reader.IsDBNull(9) ? null : reader.GetString(9),
            SenderHost = reader.IsDBNull(10) ? null : reader.GetString(10),
            SenderPort = reader.IsDBNull(11) ? null : reader.GetInt32(11),
            SenderEndLsn = Lsn(reader, 12),
        };
    }

    /// <summary>Connects to the node's metadata database with the context's timeout and probes; connection failures surface as PgHaException.</summary>
    public static async Task<NodeProbeResult> ProbeAsync(OperationContext context, ConnectionInfo info)
    {
        await using var connection = await NodeConnector.OpenAsync(context, info, NodeConnector.MetadataDatabaseOf(info)).ConfigureAwait(false);
        return await ProbeAsync(connection, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Probes through the node's metadata database, or through 'postgres' when that database does not
    /// exist (yet): a server that PgHa has not touched is still a server.
    /// </summary>
    public static async Task<(NodeProbeResult Probe, bool MetadataDatabaseExists)> ProbeWithFallbackAsync(OperationContext context, ConnectionInfo info)
    {
        try
        {
            return (await ProbeAsync(context, info).ConfigureAwait(false), true);
        }
        catch (PgHaException ex) when (ex.ErrorId == PgHaErrorIds.DatabaseMissing)
        {
            await using var connection = await NodeConnector.OpenAsync(context, info, "postgres").ConfigureAwait(false);
            return (await ProbeAsync(connection, context.CancellationToken).ConfigureAwait(false), false);
        }
    }

    private static PgHaLsn? Lsn(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : PgHaLsn.Parse(reader.GetString(ordinal));
}
