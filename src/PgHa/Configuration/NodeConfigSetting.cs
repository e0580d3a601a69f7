namespace PgHa.Configuration;

/// <summary>
/// One node setting as both file formats name it. A single table of these drives both parsers, so a key
/// added for repmgr.conf cannot be forgotten in the .psd1 format or the help page.
/// </summary>
internal sealed class NodeConfigSetting
{
    public NodeConfigSetting(string? repmgrKey, string? pgHaKey, SettingKind kind, Action<PgHaNodeConfig, object> assign,
        int minimum = int.MinValue, string[]? choices = null, bool required = false)
    {
        RepmgrKey = repmgrKey;
        PgHaKey = pgHaKey;
        Kind = kind;
        Assign = assign;
        Minimum = minimum;
        Choices = choices ?? [];
        Required = required;
    }

    /// <summary>The repmgr.conf key (lower case, as repmgr compares it), or null when repmgr has none.</summary>
    public string? RepmgrKey { get; }

    /// <summary>The .psd1 key; "Ssh.Host" names a key of the nested Ssh table. Null when only repmgr has it.</summary>
    public string? PgHaKey { get; }

    public SettingKind Kind { get; }

    /// <summary>Stores the converted value: int, bool, string, string[] or <see cref="PgHaFailoverMode"/>.</summary>
    public Action<PgHaNodeConfig, object> Assign { get; }

    public int Minimum { get; }

    public string[] Choices { get; }

    public bool Required { get; }

    public string NameIn(PgHaConfigFormat format) =>
        (format == PgHaConfigFormat.Repmgr ? RepmgrKey : PgHaKey) ?? RepmgrKey ?? PgHaKey ?? "";
}
