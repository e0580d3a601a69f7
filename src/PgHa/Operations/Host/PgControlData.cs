using System.Globalization;

namespace PgHa.Operations.Host;

/// <summary>
/// What pg_controldata says about a data directory that may not be running: whose cluster it is, the
/// state it was left in and its timeline. Read to decide, without a server, whether a directory is
/// the current primary's (never overwritten) or may be replaced.
/// </summary>
internal sealed record PgControlData(string SystemIdentifier, string ClusterState, int TimelineId, PgHaLsn? CheckpointLsn)
{
    /// <summary>"in production" (a running or crashed primary) or "shut down" (a cleanly stopped primary).</summary>
    public bool WasPrimary => ClusterState is "in production" or "shut down";

    /// <summary>Parses the output of pg_controldata (LC_ALL=C wording).</summary>
    public static PgControlData Parse(string output)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in output.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon > 0)
            {
                fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        string Field(string name) => fields.TryGetValue(name, out string? value)
            ? value
            : throw new FormatException($"pg_controldata printed no '{name}' line.");

        return new PgControlData(
            Field("Database system identifier"),
            Field("Database cluster state"),
            int.Parse(Field("Latest checkpoint's TimeLineID"), NumberStyles.None, CultureInfo.InvariantCulture),
            PgHaLsn.TryParse(fields.GetValueOrDefault("Latest checkpoint location"), out PgHaLsn lsn) ? lsn : null);
    }
}
