using System.Globalization;
using Npgsql;
using PgHa.Transport;

namespace PgHa.Operations.Host;

/// <summary>
/// The first WAL bytes of a timeline, where it left its parent: on a stopped node's disk and on a running
/// server over SQL. Two promotions that chose the same timeline number from the same switch point (two
/// standbys that had all of a dead primary's WAL, each promoted without knowing of the other) have identical
/// history files, but each wrote its own end-of-recovery record there, which carries its own time: the
/// bytes tell the two timelines apart where the history files cannot, and pg_rewind, which compares timeline
/// numbers only, would find "nothing to rewind".
/// </summary>
internal static class TimelineStart
{
    /// <summary>
    /// Enough for a page header (24 bytes, 40 at a segment's start) where the timeline begins on a page
    /// boundary, then the first record's header with its CRC and the record's time.
    /// </summary>
    public const int Length = 96;

    /// <summary>The WAL segment file that holds <paramref name="position"/> on <paramref name="timeline"/>, and the offset in it.</summary>
    public static (string File, long Offset) Locate(int timeline, PgHaLsn position, long segmentSize)
    {
        ulong segment = position.Value / (ulong)segmentSize;
        ulong perId = 0x1_0000_0000UL / (ulong)segmentSize;
        string file = string.Create(CultureInfo.InvariantCulture, $"{timeline:X8}{segment / perId:X8}{segment % perId:X8}");
        return (file, (long)(position.Value % (ulong)segmentSize));
    }

    /// <summary>The bytes in hex from a stopped node's pg_wal; null when it has no such segment or fewer bytes there, or only zeros (a segment made but not yet written).</summary>
    public static async Task<string?> ReadOnDiskAsync(INodeTransport transport, string dataDirectory, int timeline, PgHaLsn position, long segmentSize, CancellationToken ct)
    {
        var (file, offset) = Locate(timeline, position, segmentSize);
        string path = $"{dataDirectory.TrimEnd('/')}/pg_wal/{file}";
        CommandResult result = await transport.RunAsync("od", ["-An", "-v", "-tx1", "-j", offset.ToString(CultureInfo.InvariantCulture), "-N", Length.ToString(CultureInfo.InvariantCulture), "--", path],
            new CommandOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
        return result.Succeeded ? Written(string.Concat(result.StandardOutput.Where(char.IsAsciiHexDigit))) : null;
    }

    /// <summary>The same bytes from a running server (pg_read_binary_file: superuser or pg_read_server_files); null when it cannot say.</summary>
    public static async Task<string?> ReadOnServerAsync(NpgsqlConnection connection, int timeline, PgHaLsn position, CancellationToken ct)
    {
        long segmentSize = await SegmentSizeAsync(connection, ct).ConfigureAwait(false);
        var (file, offset) = Locate(timeline, position, segmentSize);
        await using var cmd = new NpgsqlCommand("SELECT encode(pg_read_binary_file('pg_wal/' || $1, $2, $3, true), 'hex')", connection);
        cmd.Parameters.Add(new() { Value = file });
        cmd.Parameters.Add(new() { Value = offset });
        cmd.Parameters.Add(new() { Value = (long)Length });
        return Written(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string);
    }

    /// <summary>The segment size a server uses, for <see cref="ReadOnDiskAsync"/> on a node of the same cluster.</summary>
    public static async Task<long> SegmentSizeAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var size = new NpgsqlCommand("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'", connection);
        return (long)(await size.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static string? Written(string? hex) =>
        hex is { Length: Length * 2 } && hex.Any(c => c != '0') ? hex.ToLowerInvariant() : null;

    /// <summary>
    /// Whether a node's bytes (<paramref name="onNode"/>) show another timeline than the server's: they differ
    /// where the node has written. A node's segment may end in zeros where a stream stopped early: those bytes
    /// say nothing, and fewer than a record header's worth of written bytes is no evidence either way.
    /// </summary>
    public static bool Differs(string? onNode, string? onServer)
    {
        if (onNode is null || onServer is null)
        {
            return false;
        }
        string written = onNode.TrimEnd('0');
        if (written.Length % 2 == 1)
        {
            written += "0"; // a byte that ends in a zero digit
        }
        return written.Length >= 48 && !onServer.StartsWith(written, StringComparison.Ordinal);
    }
}
