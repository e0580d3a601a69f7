using System.Text;

namespace PgHa.Operations.Host;

/// <summary>
/// Sets parameters in postgresql.auto.conf text the way ALTER SYSTEM does: earlier lines for the same
/// parameter are dropped, the new value is appended single-quoted (quotes doubled); a null value only
/// drops the parameter. A clone inherits its source's file, which for a cascading clone already holds
/// the source's own primary_conninfo and primary_slot_name.
/// </summary>
internal static class AutoConf
{
    public static string Set(string text, IReadOnlyDictionary<string, string?> settings)
    {
        var output = new StringBuilder();
        foreach (string line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }
            string? name = ParameterName(line);
            if (name is not null && settings.Keys.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            output.Append(line).Append('\n');
        }
        foreach (var (name, value) in settings)
        {
            if (value is null)
            {
                continue;
            }
            output.Append(name).Append(" = '").Append(value.Replace("'", "''", StringComparison.Ordinal)).Append("'\n");
        }
        return output.ToString();
    }

    /// <summary>The parameter a "name = value" line sets, or null for comments and other lines.</summary>
    private static string? ParameterName(string line)
    {
        string trimmed = line.TrimStart();
        if (trimmed.StartsWith('#'))
        {
            return null;
        }
        int end = 0;
        while (end < trimmed.Length && (char.IsLetterOrDigit(trimmed[end]) || trimmed[end] is '_' or '.'))
        {
            end++;
        }
        if (end == 0)
        {
            return null;
        }
        string rest = trimmed[end..].TrimStart();
        return rest.StartsWith('=') || rest.Length > 0 ? trimmed[..end] : null;
    }
}
