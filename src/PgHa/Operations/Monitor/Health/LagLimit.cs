using System.Globalization;
using System.Text.RegularExpressions;

namespace PgHa.Operations.Monitor.Health;

/// <summary>
/// The most lag a standby may have and still answer /replica with 200: bytes of WAL ("16MB", "1048576";
/// units as PostgreSQL writes them: B, kB, MB, GB, TB, 1024 apart, also KiB/MiB/GiB/TiB) or time
/// ("5s", "500ms", "2min", "1h").
/// </summary>
internal sealed partial record LagLimit(long? Bytes, TimeSpan? Time)
{
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")]
    private static partial Regex Shape();

    public static bool TryParse(string? text, out LagLimit? limit, out string? error)
    {
        limit = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "lag is empty; give bytes (16MB) or a time (5s)";
            return false;
        }
        Match match = Shape().Match(text);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
        {
            error = $"lag '{text}' is not a number with an optional unit (16MB, 1048576, 5s, 500ms)";
            return false;
        }
        string unit = match.Groups[2].Value;
        double? bytes = unit.ToLowerInvariant() switch
        {
            "" or "b" => number,
            "kb" or "kib" => number * 1024,
            "mb" or "mib" => number * 1024 * 1024,
            "gb" or "gib" => number * 1024 * 1024 * 1024,
            "tb" or "tib" => number * 1024 * 1024 * 1024 * 1024,
            _ => null,
        };
        if (bytes is { } b)
        {
            limit = new LagLimit((long)Math.Min(b, long.MaxValue), null);
            return true;
        }
        double? seconds = unit switch
        {
            "ms" => number / 1000,
            "s" or "sec" => number,
            "min" => number * 60,
            "h" => number * 3600,
            _ => null,
        };
        if (seconds is { } s && s <= TimeSpan.MaxValue.TotalSeconds)
        {
            limit = new LagLimit(null, TimeSpan.FromSeconds(s));
            return true;
        }
        error = $"lag unit '{unit}' is unknown; use B, kB, MB, GB, TB for WAL or ms, s, min, h for time";
        return false;
    }

    /// <summary>Whether a standby with this lag is within the limit; unknown lag is not.</summary>
    public bool Allows(long? lagBytes, double? lagSeconds) =>
        Bytes is { } maxBytes ? lagBytes is { } b && b <= maxBytes
        : Time is { } maxTime && lagSeconds is { } s && s <= maxTime.TotalSeconds;
}
