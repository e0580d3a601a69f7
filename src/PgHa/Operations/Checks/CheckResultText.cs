using System.Globalization;

namespace PgHa.Operations.Checks;

/// <summary>How check results write numbers: invariant culture, bytes in binary units.</summary>
internal static class CheckResultText
{
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        int unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {units[unit]}");
    }

    public static string Seconds(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} s");

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>"warn > a, crit > b" in the check's unit.</summary>
    public static string Limits(double warning, double critical, Func<double, string> format) => $"warn > {format(warning)}, crit > {format(critical)}";
}
