using System.Text.RegularExpressions;

namespace PgHa.Operations.Roles;

/// <summary>Edits synchronous_standby_names ('node2', 'FIRST 1 (node2, node3)', 'ANY 2 ("node2", node3)') by standby name.</summary>
internal static class SynchronousStandbyNames
{
    /// <summary>Replaces the standby name <paramref name="from"/> (bare or double-quoted, case-insensitive as PostgreSQL compares it) by <paramref name="to"/>.</summary>
    public static string Replace(string setting, string from, string to)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return setting;
        }
        string pattern = @"(?<![\w""])(""" + Regex.Escape(from) + @"""|" + Regex.Escape(from) + @")(?![\w""])";
        return Regex.Replace(setting, pattern, _ => NeedsQuotes(to) ? "\"" + to.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : to,
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    private static bool NeedsQuotes(string name) => !Regex.IsMatch(name, "^[A-Za-z_][A-Za-z0-9_]*$");
}
