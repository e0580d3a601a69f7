using System.Globalization;
using Npgsql;
using PgHa.Core;
using PgHa.Sql;

namespace PgHa.Sql;

/// <summary>
/// The timeline a standby's WAL is on at its position, when its WAL receiver does not say (it is not
/// connected, typically because its upstream has just stopped). pg_control's checkpoint timeline is not
/// the answer then: it changes only at the next restartpoint, so a standby that crossed to a new timeline
/// minutes ago still shows the old one, and judged by it, its position would lie past the old timeline's
/// end (diverged) when it is not. The WAL files say it instead: a standby writes the WAL it receives into
/// files named after its timeline, and recovery reads a segment from the newest timeline that has it;
/// so does this.
/// </summary>
internal static class StandbyTimeline
{
    /// <summary>
    /// The newest timeline among <paramref name="walFileNames"/> that holds the last byte before
    /// <paramref name="position"/>, never older than <paramref name="reported"/> (what the server says).
    /// </summary>
    public static int FromWalFileNames(IEnumerable<string> walFileNames, PgHaLsn position, long segmentSize, int reported)
    {
        if (position.Value == 0 || segmentSize <= 0)
        {
            return reported;
        }
        ulong segment = (position.Value - 1) / (ulong)segmentSize;
        ulong segmentsPerId = 0x1_0000_0000UL / (ulong)segmentSize;
        string segmentName = string.Create(CultureInfo.InvariantCulture, $"{segment / segmentsPerId:X8}{segment % segmentsPerId:X8}");
        int newest = reported;
        foreach (string name in walFileNames)
        {
            if (name.Length == 24 && name.EndsWith(segmentName, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int timeline) && timeline > newest)
            {
                newest = timeline;
            }
        }
        return newest;
    }

    /// <summary>
    /// Probes the server on <paramref name="connection"/>; for a standby without a WAL receiver, the timeline
    /// is then taken from its WAL files (see the class summary) rather than from pg_control.
    /// </summary>
    public static async Task<NodeProbeResult> ProbeAsync(OperationContext context, string nodeName, NpgsqlConnection connection)
    {
        NodeProbeResult probe = await NodeProbe.ProbeAsync(connection, context.CancellationToken).ConfigureAwait(false);
        if (!probe.InRecovery || probe.ReceiverStatus is not null)
        {
            return probe;
        }
        int timeline = await ReadAsync(context, nodeName, connection, probe.StandbyPosition, probe.Timeline ?? 0).ConfigureAwait(false);
        return probe with { Timeline = timeline };
    }

    /// <summary>
    /// Reads pg_wal's file names and the segment size on the standby; needs pg_ls_waldir (superuser or
    /// pg_monitor). Without that right, the reported timeline is all there is, and a verbose line says so.
    /// </summary>
    public static async Task<int> ReadAsync(OperationContext context, string nodeName, NpgsqlConnection connection, PgHaLsn position, int reported)
    {
        CancellationToken ct = context.CancellationToken;
        var names = new List<string>();
        long segmentSize;
        try
        {
            await using var size = new NpgsqlCommand("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'", connection);
            segmentSize = (long)(await size.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            await using var list = new NpgsqlCommand("SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'", connection);
            await using var reader = await list.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                names.Add(reader.GetString(0));
            }
        }
        catch (PostgresException ex)
        {
            context.Reporter.Verbose($"pg_wal of {nodeName} cannot be listed ({ex.MessageText}); going by the timeline it reports, {reported}.");
            return reported;
        }
        return FromWalFileNames(names, position, segmentSize, reported);
    }
}
