using System.Collections;
using System.Globalization;
using PgHa.Conninfo;

namespace PgHa.Configuration;

/// <summary>
/// A configuration being filled in by one parser: converts and checks each value, remembers where each key
/// was set (to report duplicates), and collects warnings and errors with the file and line.
/// </summary>
internal sealed class NodeConfigDraft
{
    private readonly PgHaNodeConfig _config;
    private readonly Dictionary<NodeConfigSetting, int> _setOnLine = [];
    private readonly List<string> _unknownKeys = [];
    private readonly List<string> _warnings = [];
    private readonly List<string> _errors = [];

    public NodeConfigDraft(string source, PgHaConfigFormat format)
    {
        Source = source;
        Format = format;
        _config = new PgHaNodeConfig { Source = source, Format = format };
    }

    public string Source { get; }

    public PgHaConfigFormat Format { get; }

    public void Error(int line, string message) => _errors.Add(line > 0 ? $"{Source}:{line}: {message}" : $"{Source}: {message}");

    public void Warning(int line, string message) => _warnings.Add(line > 0 ? $"{Source}:{line}: {message}" : $"{Source}: {message}");

    /// <summary>Keeps an unknown key's name (never its value: it could be a secret) and warns about it.</summary>
    public void Unknown(int line, string key, string why)
    {
        _unknownKeys.Add(key);
        Warning(line, $"unknown key '{key}' is ignored: {why}");
    }

    /// <summary>Checks, converts and stores one value. <paramref name="value"/> is text (repmgr.conf) or data (.psd1).</summary>
    public void Set(NodeConfigSetting setting, string keyAsWritten, object? value, int line)
    {
        if (_setOnLine.TryGetValue(setting, out int firstLine))
        {
            Error(line, $"'{keyAsWritten}' is already set on line {firstLine}; keep only one of the two lines.");
            return;
        }
        _setOnLine[setting] = line;
        if (value is null)
        {
            // $null in a .psd1 means "not given"; a required key still fails in Complete().
            _setOnLine.Remove(setting);
            return;
        }
        object? converted = Convert(setting, keyAsWritten, value, line);
        if (converted is not null)
        {
            setting.Assign(_config, converted);
        }
    }

    /// <summary>Final checks across keys; returns the result with the config only when nothing was wrong.</summary>
    public ConfigParseResult Complete()
    {
        foreach (var setting in NodeConfigSettings.All.Where(s => s.Required && !_setOnLine.ContainsKey(s)))
        {
            string example = Format == PgHaConfigFormat.Repmgr ? $"{setting.RepmgrKey}=..." : $"{setting.PgHaKey} = ...";
            Error(0, $"'{setting.NameIn(Format)}' is required (every node needs an id, a name, a conninfo and a data directory); add a line {example}.");
        }
        int conninfoLine = _setOnLine.GetValueOrDefault(NodeConfigSettings.FindRepmgr("conninfo")!);
        if (_config.Conninfo.Length > 0)
        {
            if (!ConnectionInfo.TryParse(_config.Conninfo, out ConnectionInfo? conninfo, out string? conninfoError) || conninfo is null)
            {
                Error(conninfoLine, $"the conninfo is not a valid libpq connection string: {conninfoError}");
            }
            else if (conninfo.HasPassword)
            {
                Warning(conninfoLine,
                    "the conninfo holds a password; PgHa removed it and will not store it. Put passwords in ~/.pgpass (or PGPASSFILE) or pass -Credential.");
                _config.Conninfo = conninfo.WithoutPassword().ToString();
            }
        }
        _config.UnknownKeys = [.. _unknownKeys];
        return new ConfigParseResult(_errors.Count == 0 ? _config : null, _warnings.ToArray(), _errors.ToArray());
    }

    private object? Convert(NodeConfigSetting setting, string key, object value, int line)
    {
        if (setting.Kind == SettingKind.TextList)
        {
            IEnumerable items = value is string || value is not IEnumerable list ? new[] { value } : list;
            var texts = new List<string>();
            foreach (object? item in items)
            {
                if (AsText(item) is not string text)
                {
                    Error(line, $"'{key}' must be a list of names, like 'a, b' or @('a', 'b').");
                    return null;
                }
                // repmgr's event_notifications is one comma-separated string.
                texts.AddRange(text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            }
            return texts.ToArray();
        }

        string? raw = value is bool flag ? (flag ? "true" : "false") : AsText(value);
        if (raw is null)
        {
            Error(line, $"'{key}' must be a single value, not {Describe(value)}.");
            return null;
        }
        switch (setting.Kind)
        {
            case SettingKind.Integer:
                if (int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number) && number >= setting.Minimum)
                {
                    return number;
                }
                string floor = setting.Minimum switch
                {
                    -1 => "-1 (never) or more",
                    0 => "0 or more",
                    _ => $"{setting.Minimum} or more",
                };
                Error(line, $"'{key}' must be a whole number, {floor}; '{raw}' is not. Example: {Example(setting, key, Math.Max(setting.Minimum, 1).ToString(CultureInfo.InvariantCulture))}.");
                return null;
            case SettingKind.Seconds:
                if (double.TryParse(raw.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds > 0)
                {
                    return seconds;
                }
                Error(line, $"'{key}' must be a number of seconds greater than 0 (a decimal point is allowed); '{raw}' is not. Example: {Example(setting, key, "3.5")}.");
                return null;
            case SettingKind.Boolean:
                switch (raw.Trim().ToLowerInvariant())
                {
                    case "true" or "on" or "yes" or "1":
                        return true;
                    case "false" or "off" or "no" or "0":
                        return false;
                }
                Error(line, $"'{key}' must be true or false (repmgr also accepts on/off, yes/no, 1/0); '{raw}' is not.");
                return null;
            case SettingKind.Failover:
                if (Enum.TryParse(raw.Trim(), ignoreCase: true, out PgHaFailoverMode mode) && Enum.IsDefined(mode) && !int.TryParse(raw, out _))
                {
                    return mode;
                }
                Error(line, $"'{key}' must be 'automatic' or 'manual'; '{raw}' is not.");
                return null;
            case SettingKind.Choice:
                string? choice = setting.Choices.FirstOrDefault(c => string.Equals(c, raw.Trim(), StringComparison.OrdinalIgnoreCase));
                if (choice is null)
                {
                    Error(line, $"'{key}' must be one of {string.Join(", ", setting.Choices.Select(c => $"'{c}'"))}; '{raw}' is not.");
                }
                return choice;
            default:
                if (setting.RepmgrKey == "node_name" && raw.Length > 63)
                {
                    Error(line, $"'{key}' is {raw.Length} characters long; repmgr allows at most 63. Use a shorter name (the host name is a good choice).");
                    return null;
                }
                return raw;
        }
    }

    private string Example(NodeConfigSetting setting, string key, string value) =>
        Format == PgHaConfigFormat.Repmgr ? $"{key}={value}" : $"{key} = {value}";

    private static string? AsText(object? value) => value switch
    {
        string text => text,
        int or long or short or byte or decimal or double => System.Convert.ToString(value, CultureInfo.InvariantCulture),
        _ => null,
    };

    private static string Describe(object value) => value switch
    {
        Hashtable => "a hashtable",
        IEnumerable => "a list",
        _ => $"a {value.GetType().Name}",
    };
}
