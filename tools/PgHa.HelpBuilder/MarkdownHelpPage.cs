using System.Text.RegularExpressions;

namespace PgHa.HelpBuilder;

/// <summary>
/// Parses one platyPS (schema 2.0.0) cmdlet page into <see cref="CommandHelp"/>. Sections the help
/// system cannot do without are checked here, so a broken page fails the build instead of shipping a
/// cmdlet whose Get-Help falls back to the generated syntax.
/// </summary>
internal static partial class MarkdownHelpPage
{
    public static CommandHelp Parse(string file)
    {
        MarkdownOutline outline = MarkdownOutline.Read(file);
        MarkdownSection page = outline.Root.Children.FirstOrDefault(s => s.Level == 1)
            ?? throw new HelpFormatException(file, 1, "The page has no '# <Cmdlet-Name>' heading.");

        MarkdownSection synopsisSection = page.Child("SYNOPSIS")
            ?? throw new HelpFormatException(file, page.Line, $"'{page.Title}' has no '## SYNOPSIS' section.");
        string[] synopsis = synopsisSection.Paragraphs.ToArray();
        if (synopsis.Length == 0 || synopsis.Any(IsPlaceholder))
        {
            throw new HelpFormatException(file, synopsisSection.Line, "The SYNOPSIS section is empty or still a platyPS placeholder.");
        }

        string[] parameterSets = page.Child("SYNTAX")?.Children
            .Select(s => SetNamePattern().Replace(s.Title, string.Empty).Trim())
            .ToArray() ?? Array.Empty<string>();
        if (parameterSets.Length == 0)
        {
            // No '### SetName' headings: one syntax line holding every parameter.
            parameterSets = new[] { "__AllParameterSets" };
        }

        outline.FrontMatter.TryGetValue("online version", out string? online);
        return new CommandHelp(
            page.Title,
            string.IsNullOrWhiteSpace(online) ? null : online,
            synopsis,
            page.Child("DESCRIPTION")?.Blocks.Select(b => b.Text).ToArray() ?? Array.Empty<string>(),
            parameterSets,
            page.Child("PARAMETERS")?.Children
                .Where(s => s.Title.StartsWith('-'))
                .Select(s => ParseParameter(file, s))
                .ToArray() ?? Array.Empty<HelpParameter>(),
            page.Child("EXAMPLES")?.Children.Select(ParseExample).ToArray() ?? Array.Empty<HelpExample>(),
            ParseTypeEntries(page.Child("INPUTS")),
            ParseTypeEntries(page.Child("OUTPUTS")),
            page.Child("NOTES")?.Blocks.Select(b => b.Text).ToArray() ?? Array.Empty<string>(),
            ParseLinks(page.Child("RELATED LINKS")));
    }

    private static HelpParameter ParseParameter(string file, MarkdownSection section)
    {
        string name = section.Title.TrimStart('-').Trim();
        var yamlBlocks = section.Blocks.Where(b => b.IsFence && b.FenceInfo == "yaml").ToArray();
        if (yamlBlocks.Length == 0)
        {
            throw new HelpFormatException(file, section.Line, $"Parameter -{name} has no ```yaml block.");
        }

        var usages = new List<ParameterUsage>();
        var maps = new List<Dictionary<string, string>>();
        foreach (MarkdownBlock block in yamlBlocks)
        {
            var map = YamlMap.Read(file, block.Lines, 0, block.Lines.Count, block.Line)
                .ToDictionary(e => e.Key, e => e.Value, StringComparer.OrdinalIgnoreCase);
            // A missing key has no line of its own: point at the block.
            string Require(string key) => map.TryGetValue(key, out string? value) && value.Length > 0
                ? value
                : throw new HelpFormatException(file, block.Line, $"Malformed yaml for -{name}: '{key}' is missing or empty.");

            string position = Require("Position");
            if (!position.Equals("Named", StringComparison.OrdinalIgnoreCase) && !int.TryParse(position, out _))
            {
                throw new HelpFormatException(file, block.Line, $"Malformed yaml for -{name}: Position must be a number or 'Named', not '{position}'.");
            }
            usages.Add(new ParameterUsage(
                SplitList(Require("Parameter Sets")),
                ParseBool(file, block.Line, name, "Required", Require("Required")),
                position.Equals("Named", StringComparison.OrdinalIgnoreCase) ? "named" : position,
                map.GetValueOrDefault("Accept pipeline input") is { Length: > 0 } pipeline ? pipeline : "False"));
            Require("Type");
            maps.Add(map);
        }

        // Type, aliases, default and wildcards do not vary by parameter set; the first block has them.
        Dictionary<string, string> first = maps[0];

        return new HelpParameter(
            name,
            section.Blocks.Where(b => !b.IsFence).Select(b => b.Text).ToArray(),
            first["Type"],
            SplitList(first.GetValueOrDefault("Aliases") ?? string.Empty),
            SplitList(first.GetValueOrDefault("Accepted values") ?? string.Empty),
            first.GetValueOrDefault("Default value") is { Length: > 0 } defaultValue ? defaultValue : "None",
            first.TryGetValue("Accept wildcard characters", out string? wildcards)
                && ParseBool(file, yamlBlocks[0].Line, name, "Accept wildcard characters", wildcards),
            usages);
    }

    private static HelpExample ParseExample(MarkdownSection section)
    {
        // Code is every fenced block; remarks are the prose around it, as platyPS puts them.
        string code = string.Join("\n\n", section.Blocks.Where(b => b.IsFence).Select(b => b.Text));
        return new HelpExample(section.Title, code, section.Paragraphs.ToArray());
    }

    private static HelpTypeEntry[] ParseTypeEntries(MarkdownSection? section) =>
        section?.Children.Select(c => new HelpTypeEntry(c.Title, c.Paragraphs.ToArray())).ToArray()
        ?? Array.Empty<HelpTypeEntry>();

    private static HelpLink[] ParseLinks(MarkdownSection? section) =>
        section?.Blocks.SelectMany(b => b.Lines)
            .Select(line => LinkPattern().Match(line))
            .Where(m => m.Success)
            .Select(m => new HelpLink(m.Groups["text"].Value, m.Groups["uri"].Value))
            .ToArray() ?? Array.Empty<HelpLink>();

    private static bool ParseBool(string file, int line, string parameter, string key, string value) =>
        bool.TryParse(value, out bool result)
            ? result
            : throw new HelpFormatException(file, line, $"Malformed yaml for -{parameter}: {key} must be True or False, not '{value}'.");

    private static string[] SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool IsPlaceholder(string text) => text.Contains("{{", StringComparison.Ordinal);

    [GeneratedRegex(@"\s*\(Default\)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex SetNamePattern();

    [GeneratedRegex(@"\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)")]
    private static partial Regex LinkPattern();
}
