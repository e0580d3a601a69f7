using System.Diagnostics;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Sql;

namespace PgHa.Operations.Roles;

/// <summary>
/// The physical replication slots a node streams through (its record's SlotName), on whichever node is its
/// upstream: made before a node is pointed at a new upstream (follow, rejoin, switchover), and dropped
/// from a node nobody streams from through them any more, where they would keep WAL forever.
/// </summary>
internal static class ReplicationSlots
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Creates the slot on <paramref name="upstream"/> unless it is there. Reserved at once: a physical
    /// slot reserves from the last checkpoint's redo point, which lies before the WAL the node still needs,
    /// so nothing it needs is removed between this moment and its first connection.
    /// </summary>
    public static async Task EnsureAsync(OperationContext context, string upstreamName, ConnectionInfo upstream, string slotName)
    {
        context.Reporter.Verbose($"Making sure replication slot {slotName} exists on {upstreamName}.");
        await using var connection = await NodeConnector.OpenAsync(context, upstream, NodeConnector.MetadataDatabaseOf(upstream)).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", connection);
        cmd.Parameters.Add(new() { Value = slotName });
        await cmd.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops the slots from <paramref name="node"/> (a primary or a standby: physical slots can be dropped
    /// in recovery) once no walsender uses them, waiting up to <paramref name="wait"/> for a walsender of
    /// a standby that has just moved away to end. Slots that do not exist are skipped. Returns the slots
    /// still there at the deadline (in use).
    /// </summary>
    public static async Task<IReadOnlyList<string>> DropUnusedAsync(OperationContext context, string nodeName, ConnectionInfo node, IReadOnlyList<string> slotNames, TimeSpan wait)
    {
        if (slotNames.Count == 0)
        {
            return [];
        }
        CancellationToken ct = context.CancellationToken;
        context.Reporter.Verbose($"Dropping replication slot(s) {string.Join(", ", slotNames)} from {nodeName}: nobody streams from it through them any more.");
        await using var connection = await NodeConnector.OpenAsync(context, node, NodeConnector.MetadataDatabaseOf(node)).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Dropped in the statement that sees them inactive; a walsender that takes one meanwhile makes the drop fail with an error, so a slot in use is never dropped.
            await using (var drop = new NpgsqlCommand(
                "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name = ANY($1) AND slot_type = 'physical' AND NOT active", connection))
            {
                drop.Parameters.Add(new() { Value = slotNames.ToArray() });
                await drop.ExecuteScalarAsync(ct).ConfigureAwait(false);
            }
            await using var left = new NpgsqlCommand("SELECT slot_name::text FROM pg_replication_slots WHERE slot_name = ANY($1) ORDER BY 1", connection);
            left.Parameters.Add(new() { Value = slotNames.ToArray() });
            var remaining = new List<string>();
            await using (var reader = await left.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    remaining.Add(reader.GetString(0));
                }
            }
            if (remaining.Count == 0 || clock.Elapsed >= wait)
            {
                return remaining;
            }
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }
}
