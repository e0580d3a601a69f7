namespace PgHa.HelpBuilder;

/// <summary>Everything one cmdlet page says, in the shape MAML needs it.</summary>
internal sealed record CommandHelp(
    string Name,
    string? OnlineUri,
    IReadOnlyList<string> Synopsis,
    IReadOnlyList<string> Description,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<HelpParameter> Parameters,
    IReadOnlyList<HelpExample> Examples,
    IReadOnlyList<HelpTypeEntry> Inputs,
    IReadOnlyList<HelpTypeEntry> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<HelpLink> RelatedLinks)
{
    public string Verb => Name.Split('-', 2)[0];

    public string Noun => Name.Contains('-') ? Name.Split('-', 2)[1] : string.Empty;
}

/// <summary>
/// A parameter. platyPS writes one yaml block per distinct way the parameter is bound (for example
/// mandatory in one set, optional in another), so the per-set facts live in <see cref="Usages"/>.
/// </summary>
internal sealed record HelpParameter(
    string Name,
    IReadOnlyList<string> Description,
    string Type,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> AcceptedValues,
    string DefaultValue,
    bool AcceptsWildcards,
    IReadOnlyList<ParameterUsage> Usages)
{
    public bool IsSwitch => Type is "SwitchParameter" or "System.Management.Automation.SwitchParameter";

    /// <summary>How the parameter binds in a set, or null when it is not part of that set.</summary>
    public ParameterUsage? UsageIn(string parameterSet) => Usages.FirstOrDefault(u =>
        u.ParameterSets.Any(s => s == AllParameterSets || string.Equals(s, parameterSet, StringComparison.OrdinalIgnoreCase)));

    public const string AllParameterSets = "(All)";
}

/// <summary>How a parameter binds in the sets listed: "Position" is a number or "Named".</summary>
internal sealed record ParameterUsage(IReadOnlyList<string> ParameterSets, bool Required, string Position, string PipelineInput);

internal sealed record HelpExample(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>An INPUTS or OUTPUTS entry: a type name and what it means.</summary>
internal sealed record HelpTypeEntry(string TypeName, IReadOnlyList<string> Description);

internal sealed record HelpLink(string Text, string Uri);
