using System.Text.RegularExpressions;

namespace PgHa.HelpBuilder;

/// <summary>
/// Reads the flat "Key: value" yaml that platyPS writes (front matter and parameter blocks). Nesting,
/// lists and quoting are not needed there, so anything else is reported as malformed rather than guessed.
/// </summary>
internal static partial class YamlMap
{
    /// <summary>
    /// Reads lines [start, end). <paramref name="lineOffset"/> is the file line number of the line before
    /// lines[0], so errors name the line in the file, also for a yaml block taken out of a page.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Read(string file, IReadOnlyList<string> lines, int start, int end, int lineOffset = 0)
    {
        var entries = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = start; i < end; i++)
        {
            string line = lines[i];
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            Match match = EntryPattern().Match(line);
            if (!match.Success)
            {
                throw new HelpFormatException(file, i + 1 + lineOffset, $"Malformed yaml: expected 'Key: value', found '{line.Trim()}'.");
            }
            string key = match.Groups["key"].Value.Trim();
            if (!seen.Add(key))
            {
                throw new HelpFormatException(file, i + 1 + lineOffset, $"Malformed yaml: '{key}' is given twice.");
            }
            entries.Add(new(key, match.Groups["value"].Value.Trim()));
        }
        return entries;
    }

    [GeneratedRegex(@"^(?<key>[A-Za-z][A-Za-z0-9 _-]*):(\s+(?<value>.*))?\s*$")]
    private static partial Regex EntryPattern();
}
