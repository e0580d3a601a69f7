using System.Diagnostics;
using System.Globalization;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Host;
using PgHa.Sql;

namespace PgHa.Operations.Roles;

/// <summary>
/// The steps every role change is made of (promote, follow, rejoin, switchover, failover): promote a
/// standby and wait for it to leave recovery, point a standby at a new upstream and wait until it
/// streams from it, and record the new roles and an event in the metadata on the primary. Each step
/// waits with a deadline and says what it saw when the deadline passes.
/// </summary>
internal static class RoleChanges
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Promotes with a deadline and returns the node's new timeline. pg_promote is asked not to wait:
    /// its own wait checks only every 100 ms, while polling here notices the end of recovery within a few
    /// milliseconds, and every one of them is part of the time no write can be made.
    /// </summary>
    public static async Task<int> PromoteAsync(OperationContext context, string nodeName, ConnectionInfo conninfo, TimeSpan wait)
    {
        await using var connection = await NodeConnector.OpenAsync(context, conninfo, NodeConnector.MetadataDatabaseOf(conninfo)).ConfigureAwait(false);
        return await PromoteAsync(context, nodeName, connection, wait).ConfigureAwait(false);
    }

    /// <summary>
    /// Promotes through a connection the caller opened beforehand (the switchover, where the promotion is
    /// part of the write outage), and polls on that same session: a session that asked for the promotion
    /// sees it end (pg_is_in_recovery reads the shared state), and a new connection per poll would cost
    /// more than the 10 ms between polls.
    /// </summary>
    public static async Task<int> PromoteAsync(OperationContext context, string nodeName, NpgsqlConnection connection, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        await RequestPromotionAsync(context, nodeName, connection, wait).ConfigureAwait(false);
        return await WaitForPromotionAsync(context, nodeName, connection, wait, clock).ConfigureAwait(false);
    }

    /// <summary>
    /// pg_promote without waiting: once it returned, the promotion is under way and cannot be called off
    /// (only a restart of the server drops the promote signal). A PostgresException means the server refused it.
    /// </summary>
    public static async Task RequestPromotionAsync(OperationContext context, string nodeName, NpgsqlConnection connection, TimeSpan wait)
    {
        context.Reporter.Verbose($"Promoting {nodeName} (pg_promote, waiting up to {wait.TotalSeconds:0} s).");
        await using var cmd = new NpgsqlCommand("SELECT pg_promote(false)", connection);
        await cmd.ExecuteScalarAsync(context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls, on the session that asked for the promotion, until the server left recovery; PgHaPromoteTimeout after <paramref name="wait"/>.</summary>
    public static async Task<int> WaitForPromotionAsync(OperationContext context, string nodeName, NpgsqlConnection connection, TimeSpan wait, Stopwatch clock)
    {
        CancellationToken ct = context.CancellationToken;
        while (true)
        {
            NodeProbeResult probe = await NodeProbe.ProbeAsync(connection, ct).ConfigureAwait(false);
            if (!probe.InRecovery)
            {
                context.Reporter.Verbose($"{nodeName} is a primary on timeline {probe.Timeline}.");
                return probe.Timeline ?? 0;
            }
            if (clock.Elapsed >= wait)
            {
                throw new PgHaException(PgHaErrorIds.PromoteTimeout, nodeName,
                    $"{nodeName} did not leave recovery within {wait.TotalSeconds:0} s of pg_promote. Look at its server log; it may still finish promoting.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(10), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Points a running or stopped standby at <paramref name="upstream"/>: primary_conninfo (and the slot,
    /// set or dropped) in postgresql.auto.conf, and standby.signal. A running standby (<paramref name="reload"/>)
    /// is told over SQL — ALTER SYSTEM and pg_reload_conf(), which PostgreSQL 13+ answers by restarting its
    /// WAL receiver, without a restart and without a single process on the node's host: this is the step
    /// between a failover and the other standbys streaming again. A stopped one gets the files written.
    /// </summary>
    public static async Task PointAtUpstreamAsync(OperationContext context, NodeHost node, ConnectionInfo? nodeConninfo,
        ConnectionInfo upstream, string? slotName, bool reload)
    {
        CancellationToken ct = context.CancellationToken;
        ConnectionInfo replication = StandbyConfiguration.ReplicationConninfo(upstream, node.Name);
        context.Reporter.Verbose($"Pointing {node.Name} at {upstream.ToDisplayString()} (primary_conninfo{(slotName is null ? string.Empty : $", slot {slotName}")}).");
        if (reload && nodeConninfo is not null)
        {
            await using var connection = await NodeConnector.OpenAsync(context, nodeConninfo, NodeConnector.MetadataDatabaseOf(nodeConninfo)).ConfigureAwait(false);
            // ALTER SYSTEM takes no parameters, so the values go in as quoted literals; and it refuses to run in a
            // transaction block, so each statement is a command of its own.
            string[] statements =
            [
                $"ALTER SYSTEM SET primary_conninfo = {SqlLiteral.Quote(replication.ToKeywordValueString())}",
                slotName is null ? "ALTER SYSTEM RESET primary_slot_name" : $"ALTER SYSTEM SET primary_slot_name = {SqlLiteral.Quote(slotName)}",
                "SELECT pg_reload_conf()",
            ];
            foreach (string statement in statements)
            {
                await using var cmd = new NpgsqlCommand(statement, connection);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return;
        }
        await using var host = await node.OpenAsync(context).ConfigureAwait(false);
        await StandbyConfiguration.WriteAsync(host, node.DataDirectory, replication, slotName, null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until the node's WAL receiver streams from <paramref name="upstream"/> (matched by host and
    /// port) and, when <paramref name="upstreamTimeline"/> is given, receives that timeline: a node that
    /// cannot follow streams for a moment and drops out again every few seconds, so "streaming" once is
    /// not enough.
    /// </summary>
    public static async Task WaitForStreamingFromAsync(OperationContext context, string nodeName, ConnectionInfo nodeConninfo, ConnectionInfo upstream, TimeSpan wait,
        int? upstreamTimeline = null)
    {
        NodeEndpoint expected = NodeEndpoint.Of(upstream);
        var clock = Stopwatch.StartNew();
        string last = "not checked yet";
        while (true)
        {
            try
            {
                NodeProbeResult probe = await NodeProbe.ProbeAsync(context, nodeConninfo).ConfigureAwait(false);
                if (probe.ReceiverStatus == "streaming" && expected.Matches(probe.SenderHost, probe.SenderPort)
                    && (upstreamTimeline is null || probe.Timeline >= upstreamTimeline))
                {
                    context.Reporter.Verbose($"{nodeName} streams from {expected} on timeline {probe.Timeline}.");
                    return;
                }
                last = probe.ReceiverStatus is null
                    ? "no WAL receiver"
                    : $"WAL receiver {probe.ReceiverStatus} from {probe.SenderHost}:{probe.SenderPort?.ToString(CultureInfo.InvariantCulture)} on timeline {probe.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}";
            }
            catch (PgHaException ex)
            {
                last = ex.Message;
            }
            if (clock.Elapsed >= wait)
            {
                throw new PgHaException(PgHaErrorIds.FollowTimeout, nodeName,
                    $"{nodeName} did not stream from {expected} within {wait.TotalSeconds:0} s ({last}). Check its server log and the new upstream's pg_hba.conf.");
            }
            await Task.Delay(PollInterval, context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Records new roles and upstreams in the metadata on <paramref name="primary"/> (the node that is
    /// primary now), with one event per change, in one transaction under the metadata lock; the event
    /// hook runs for the events once they are committed.
    /// </summary>
    public static async Task RecordAsync(OperationContext context, ConnectionInfo primary, IReadOnlyList<NodeRecord> changed, IReadOnlyList<(NodeRecord Node, string Event, bool Successful, string Details)> events)
    {
        CancellationToken ct = context.CancellationToken;
        await using var connection = await NodeConnector.OpenAsync(context, primary, NodeConnector.MetadataDatabaseOf(primary)).ConfigureAwait(false);
        await using var change = await MetadataChange.BeginAsync(context, new MetadataStore(connection)).ConfigureAwait(false);
        // Demotions first: the one-active-primary index must never see two primaries at once.
        foreach (NodeRecord node in changed.OrderBy(n => n.Role == PgHaRole.Primary ? 1 : 0))
        {
            await change.Store.UpdateNodeAsync(node, ct).ConfigureAwait(false);
        }
        if (changed.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active) is { } newPrimary)
        {
            // A new primary (switchover, promote, failover) starts a new election term, so that every monitor
            // takes it for the primary and a monitor that still knows the old one fences it as stale.
            await change.Store.BeginTermAsync(newPrimary.Id, ct).ConfigureAwait(false);
        }
        foreach (var (node, eventName, successful, details) in events)
        {
            await change.AddEventAsync(node.Id, node.Name, eventName, successful, details).ConfigureAwait(false);
        }
        await change.CommitAsync().ConfigureAwait(false);
    }
}
