using Npgsql;
using PgHa.Core;

namespace PgHa.Operations.Roles;

/// <summary>
/// Reads a server's timeline history file over SQL, for follow and rejoin decisions. From pg_wal rather than
/// pg_control_checkpoint(), which still names the old timeline until the first checkpoint after a promotion.
/// </summary>
internal static class TimelineHistoryReader
{
    /// <summary>The history of <paramref name="timeline"/> on the server behind <paramref name="connection"/>; timeline 1 has none.</summary>
    public static async Task<TimelineHistory> ReadAsync(OperationContext context, string nodeName, NpgsqlConnection connection, int timeline)
    {
        if (timeline <= 1)
        {
            return TimelineHistory.First;
        }
        context.Reporter.Verbose($"Reading {nodeName}'s history of timeline {timeline}.");
        // History files are named in upper-case hex (0000000A.history), to_hex writes lower case.
        await using var cmd = new NpgsqlCommand("SELECT pg_read_file('pg_wal/' || lpad(upper(to_hex($1)), 8, '0') || '.history')", connection);
        cmd.Parameters.Add(new() { Value = timeline });
        string text;
        try
        {
            text = (string)(await cmd.ExecuteScalarAsync(context.CancellationToken).ConfigureAwait(false))!;
        }
        catch (PostgresException ex)
        {
            throw new PgHaException(PgHaErrorIds.TimelineHistoryUnreadable, nodeName,
                $"{nodeName}'s history file of timeline {timeline} cannot be read ({ex.SqlState}: {ex.MessageText}); without it the change cannot be decided. " +
                "The connecting user needs superuser or pg_read_server_files on that node.", ex);
        }
        try
        {
            return TimelineHistory.Parse(timeline, text);
        }
        catch (FormatException ex)
        {
            throw new PgHaException(PgHaErrorIds.TimelineHistoryUnreadable, nodeName,
                $"{nodeName}'s history file of timeline {timeline} was not understood: {ex.Message}", ex);
        }
    }
}
