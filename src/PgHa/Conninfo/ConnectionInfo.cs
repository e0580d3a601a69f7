using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace PgHa.Conninfo;

/// <summary>
/// A libpq connection string, in keyword=value form or as a postgresql:// URI, parsed with libpq's
/// grammar (not Npgsql's). Immutable: <see cref="With"/> and <see cref="Without"/> return new instances.
/// </summary>
/// <remarks>
/// Secrets (password, sslpassword) never appear in <see cref="ToString"/>, <see cref="ToDisplayString"/>
/// or exception messages. Only <see cref="ToKeywordValueString"/> writes them, for the places that must
/// hand a complete conninfo on (primary_conninfo).
/// </remarks>
[DebuggerDisplay("{ToDisplayString(),nq}")]
public sealed class ConnectionInfo
{
    private readonly IReadOnlyList<ConninfoParameter> parameters;

    // The text as parsed; null once the instance has been changed with With/Without.
    private readonly string? originalText;
    private readonly bool parsedFromUri;

    private ConnectionInfo(IReadOnlyList<ConninfoParameter> parameters, string? originalText, bool parsedFromUri)
    {
        this.parameters = parameters;
        this.originalText = originalText;
        this.parsedFromUri = parsedFromUri;
    }

    /// <summary>A connection string with no parameters (libpq's defaults apply).</summary>
    public static ConnectionInfo Empty { get; } = new([], "", parsedFromUri: false);

    /// <exception cref="ConninfoFormatException">libpq would refuse <paramref name="text"/>.</exception>
    public static ConnectionInfo Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        bool isUri = ConninfoUriParser.IsUri(text);
        List<ConninfoParameter> parsed = isUri ? ConninfoUriParser.Parse(text) : KeywordValueParser.Parse(text);
        var merged = MergeRepeatedKeywords(parsed);
        foreach (var parameter in merged)
        {
            string? problem = CheckValue(parameter.Keyword, parameter.Value);
            if (problem is not null)
            {
                throw new ConninfoFormatException(problem, parameter.ValuePosition);
            }
        }

        return new ConnectionInfo(merged, text, isUri);
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out ConnectionInfo? info, [NotNullWhen(false)] out string? error)
    {
        if (text is null)
        {
            info = null;
            error = "Invalid connection string: it is null.";
            return false;
        }

        try
        {
            info = Parse(text);
            error = null;
            return true;
        }
        catch (ConninfoFormatException e)
        {
            info = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>True when parsed from a postgresql:// or postgres:// URI.</summary>
    public bool IsUri => parsedFromUri;

    /// <summary>The effective parameters in the order written; a repeated keyword appears once, with its last value (libpq's rule).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters =>
        parameters.Select(p => new KeyValuePair<string, string>(p.Keyword, p.Value)).ToList();

    /// <summary>The value of <paramref name="keyword"/> (case-sensitive, as in libpq), or null when not given.</summary>
    public string? this[string keyword] => Get(keyword);

    public string? Get(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        return parameters.FirstOrDefault(p => p.Keyword == keyword)?.Value;
    }

    /// <summary>The host keyword as written: a name, an address, a socket directory, or a comma list of them.</summary>
    public string? Host => Get(ConninfoKeywords.Host);

    /// <summary>The port when one single port is given; null when none is given or when it is a comma list.</summary>
    public int? Port =>
        int.TryParse(Get(ConninfoKeywords.Port), NumberStyles.None, CultureInfo.InvariantCulture, out int port) ? port : null;

    public string? DatabaseName => Get(ConninfoKeywords.DatabaseName);

    public string? User => Get(ConninfoKeywords.User);

    public string? ApplicationName => Get(ConninfoKeywords.ApplicationName);

    /// <summary>True when a non-empty password is given (libpq treats an empty one as none).</summary>
    public bool HasPassword => !string.IsNullOrEmpty(Get(ConninfoKeywords.Password));

    /// <summary>A copy with <paramref name="keyword"/> set, in its old place or at the end.</summary>
    /// <exception cref="ArgumentException">The keyword is not one libpq knows, or the value is not valid for it.</exception>
    public ConnectionInfo With(string keyword, string value)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        ArgumentNullException.ThrowIfNull(value);
        if (!ConninfoKeywords.IsKnown(keyword))
        {
            throw new ArgumentException(KeywordValueParser.UnknownKeyword(keyword, null).Message, nameof(keyword));
        }

        string? problem = CheckValue(keyword, value);
        if (problem is not null)
        {
            throw new ArgumentException($"Invalid connection string value: {problem}.", nameof(value));
        }

        var changed = parameters.ToList();
        int index = changed.FindIndex(p => p.Keyword == keyword);
        var replacement = new ConninfoParameter(keyword, value);
        if (index >= 0)
        {
            changed[index] = replacement;
        }
        else
        {
            changed.Add(replacement);
        }

        return new ConnectionInfo(changed, originalText: null, parsedFromUri);
    }

    /// <summary>A copy without <paramref name="keyword"/>; this instance when it is not there.</summary>
    public ConnectionInfo Without(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        if (Get(keyword) is null)
        {
            return this;
        }

        return new ConnectionInfo(parameters.Where(p => p.Keyword != keyword).ToList(), originalText: null, parsedFromUri);
    }

    /// <summary>A copy without password and sslpassword: what PgHa stores in metadata and shows.</summary>
    public ConnectionInfo WithoutPassword() => Without(ConninfoKeywords.Password).Without(ConninfoKeywords.SslPassword);

    /// <summary>keyword=value form without any password: what PgHa stores in metadata and shows in output.</summary>
    public string ToDisplayString() => WithoutPassword().ToKeywordValueString();

    /// <summary>
    /// keyword=value form, passwords included. An unchanged keyword=value string comes back exactly as it
    /// was written; otherwise untouched parameters keep their original spelling and changed ones are
    /// quoted only where libpq needs it.
    /// </summary>
    public string ToKeywordValueString()
    {
        if (originalText is not null && !parsedFromUri)
        {
            return originalText;
        }

        var text = new StringBuilder();
        foreach (var parameter in parameters)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(parameter.SourceText ?? parameter.Keyword + "=" + QuoteValue(parameter.Value));
        }

        return text.ToString();
    }

    /// <summary>
    /// The original text (keyword=value or URI) when it was parsed and holds no password; otherwise the
    /// keyword=value form without passwords. Never contains a password.
    /// </summary>
    public override string ToString()
    {
        bool hasSecret = parameters.Any(p => ConninfoKeywords.IsSecret(p.Keyword));
        return originalText is not null && !hasSecret ? originalText : ToDisplayString();
    }

    /// <summary>A value as libpq reads it back: bare when it can be, else in single quotes with \' and \\.</summary>
    internal static string QuoteValue(string value)
    {
        bool needsQuotes = value.Length == 0 || value.Any(c => char.IsWhiteSpace(c) || c is '\'' or '\\');
        if (!needsQuotes)
        {
            return value;
        }

        return "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
    }

    // libpq keeps the last value of a repeated keyword; keep it in the place of the first one.
    private static List<ConninfoParameter> MergeRepeatedKeywords(List<ConninfoParameter> parsed)
    {
        var merged = new List<ConninfoParameter>();
        foreach (var parameter in parsed)
        {
            int index = merged.FindIndex(p => p.Keyword == parameter.Keyword);
            if (index >= 0)
            {
                merged[index] = parameter;
            }
            else
            {
                merged.Add(parameter);
            }
        }

        return merged;
    }

    // Checked early so a typo fails when the node is registered, not at the first connection.
    // Values are not quoted in messages unless they cannot be secret.
    private static string? CheckValue(string keyword, string value)
    {
        if (keyword == ConninfoKeywords.Port)
        {
            foreach (string port in value.Split(','))
            {
                if (port.Length > 0 && !IsPortNumber(port))
                {
                    return $"port \"{port}\" is not a number from 1 to 65535";
                }
            }
        }

        return null;
    }

    private static bool IsPortNumber(string text) =>
        text.All(char.IsAsciiDigit) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535;
}
