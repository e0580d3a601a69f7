using System.Globalization;

namespace PgHa.Operations.Roles;

/// <summary>
/// What pg_controldata says about whether pg_rewind can work on a data directory: pg_rewind refuses a
/// target that neither WAL-logs hint bits (wal_log_hints) nor has data checksums, because it could not
/// see every page the diverged history changed.
/// </summary>
internal sealed record RewindPrerequisites(bool WalLogHints, int DataChecksumVersion)
{
    public bool RewindPossible => WalLogHints || DataChecksumVersion > 0;

    /// <summary>Parses the "wal_log_hints setting" and "Data page checksum version" lines (LC_ALL=C wording); absent lines count as off.</summary>
    public static RewindPrerequisites Parse(string pgControlDataOutput)
    {
        bool hints = false;
        int checksums = 0;
        foreach (string line in pgControlDataOutput.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name == "wal_log_hints setting")
            {
                hints = value == "on";
            }
            else if (name == "Data page checksum version" && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int version))
            {
                checksums = version;
            }
        }
        return new RewindPrerequisites(hints, checksums);
    }
}
