using System.Text;
using System.Text.RegularExpressions;

namespace PgHa.Configuration;

/// <summary>
/// Reads a repmgr.conf the way repmgr 5 does. Since 5.0 repmgr parses its file like PostgreSQL parses
/// postgresql.conf: one <c>key = value</c> per line (the '=' may be left out), '#' starts a comment,
/// values that are not simple names or numbers are single-quoted, and a quote inside a quoted value is
/// written '' (preferred) or \'. Anything repmgr 5 would refuse is an error here too, with its line, so a
/// file that imports cleanly also works with repmgr.
/// </summary>
public static class RepmgrConfParser
{
    // PostgreSQL's guc-file.l tokens a value may be written as without quotes: integers (with optional
    // unit letters), reals, and "unquoted strings" that start with a letter. A path such as /data/pgsql
    // is none of these: repmgr 5 rejects it unquoted, and so do we.
    private static readonly Regex UnquotedValue = new(
        @"^(?:[-+]?(?:[0-9]+|0x[0-9a-fA-F]+)[a-zA-Z]*|[-+]?[0-9]*\.[0-9]*(?:[Ee][-+]?[0-9]+)?|[A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff\-._:/]*)$",
        RegexOptions.CultureInvariant);

    private static readonly string[] IncludeDirectives = ["include", "include_if_exists", "include_dir"];

    /// <summary>Reads and parses a file; <paramref name="path"/> must be a file-system path.</summary>
    public static ConfigParseResult ParseFile(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses repmgr.conf text; <paramref name="source"/> names it in messages.</summary>
    public static ConfigParseResult Parse(string text, string source)
    {
        var draft = new NodeConfigDraft(source, PgHaConfigFormat.Repmgr);
        string[] lines = text.Split('\n');
        for (int index = 0; index < lines.Length; index++)
        {
            ParseLine(draft, lines[index].TrimEnd('\r'), index + 1);
        }
        return draft.Complete();
    }

    private static void ParseLine(NodeConfigDraft draft, string line, int lineNumber)
    {
        int pos = SkipSpace(line, 0);
        if (pos == line.Length || line[pos] == '#')
        {
            return;
        }

        int keyStart = pos;
        if (!IsKeyStart(line[pos]))
        {
            draft.Error(lineNumber, "expected a setting name at the start of the line (key = value); comment the line out with '#' if it is not a setting.");
            return;
        }
        while (pos < line.Length && (IsKeyStart(line[pos]) || char.IsAsciiDigit(line[pos]) || line[pos] == '.'))
        {
            pos++;
        }
        string key = line[keyStart..pos];

        pos = SkipSpace(line, pos);
        if (pos < line.Length && line[pos] == '=')
        {
            pos = SkipSpace(line, pos + 1);
        }
        if (pos == line.Length || line[pos] == '#')
        {
            draft.Error(lineNumber, $"'{key}' has no value; write {key}='' for an empty value or remove the line.");
            return;
        }

        string? value = line[pos] == '\'' ? ReadQuoted(draft, line, ref pos, key, lineNumber) : ReadUnquoted(draft, line, ref pos, key, lineNumber);
        if (value is null)
        {
            return;
        }

        Apply(draft, key, value, lineNumber);
    }

    private static string? ReadQuoted(NodeConfigDraft draft, string line, ref int pos, string key, int lineNumber)
    {
        var value = new StringBuilder();
        pos++;
        while (true)
        {
            if (pos >= line.Length)
            {
                draft.Error(lineNumber, $"the quoted value of '{key}' is not closed; end it with a single quote on the same line.");
                return null;
            }
            char ch = line[pos];
            if (ch == '\'' && pos + 1 < line.Length && line[pos + 1] == '\'')
            {
                value.Append('\'');
                pos += 2;
            }
            else if (ch == '\'')
            {
                pos++;
                break;
            }
            else if (ch == '\\' && pos + 1 < line.Length)
            {
                pos = Unescape(line, pos + 1, value);
            }
            else
            {
                value.Append(ch);
                pos++;
            }
        }

        pos = SkipSpace(line, pos);
        if (pos < line.Length && line[pos] != '#')
        {
            // Typically a command with its own single quotes: promote_command='repmgr ... 'x' ...'.
            draft.Error(lineNumber, $"text follows the closing quote of the value of '{key}'. A single quote inside a quoted value "
                + "ends it: write each inner quote twice ('') or as \\' (repmgr 5 cannot read this line either).");
            return null;
        }
        return value.ToString();
    }

    private static string? ReadUnquoted(NodeConfigDraft draft, string line, ref int pos, string key, int lineNumber)
    {
        int start = pos;
        while (pos < line.Length && !char.IsWhiteSpace(line[pos]) && line[pos] != '#')
        {
            pos++;
        }
        string token = line[start..pos];
        if (token.StartsWith('"'))
        {
            draft.Error(lineNumber, $"the value of '{key}' is in double quotes, which repmgr does not treat as quotes; use single quotes: {key}='...'.");
            return null;
        }
        if (!UnquotedValue.IsMatch(token))
        {
            draft.Error(lineNumber, $"the value of '{key}' must be single-quoted: repmgr 5 only accepts simple names and numbers without quotes. Write {key}='...'.");
            return null;
        }
        pos = SkipSpace(line, pos);
        if (pos < line.Length && line[pos] != '#')
        {
            draft.Error(lineNumber, $"the value of '{key}' contains spaces; put the whole value in single quotes: {key}='...'.");
            return null;
        }
        return token;
    }

    private static void Apply(NodeConfigDraft draft, string key, string value, int lineNumber)
    {
        if (IncludeDirectives.Contains(key))
        {
            draft.Warning(lineNumber, $"'{key}' directives are not followed by PgHa; copy the settings of the included file into this one.");
            return;
        }
        if (NodeConfigSettings.FindRepmgr(key) is { } setting)
        {
            draft.Set(setting, key, value, lineNumber);
        }
        else if (NodeConfigSettings.RepmgrOnly.Contains(key))
        {
            draft.Unknown(lineNumber, key, "a repmgr setting PgHa does not use.");
        }
        else if (NodeConfigSettings.FindRepmgr(key.ToLowerInvariant()) is not null)
        {
            draft.Unknown(lineNumber, key, $"repmgr keys are lower case; did you mean '{key.ToLowerInvariant()}'?");
        }
        else
        {
            draft.Unknown(lineNumber, key, "not a repmgr setting; check the spelling.");
        }
    }

    // PostgreSQL's escapes in quoted values: \b \f \n \r \t, octal \ooo, and \x for any other x.
    private static int Unescape(string line, int pos, StringBuilder value)
    {
        char ch = line[pos];
        switch (ch)
        {
            case 'b': value.Append('\b'); return pos + 1;
            case 'f': value.Append('\f'); return pos + 1;
            case 'n': value.Append('\n'); return pos + 1;
            case 'r': value.Append('\r'); return pos + 1;
            case 't': value.Append('\t'); return pos + 1;
        }
        if (ch is >= '0' and <= '7')
        {
            int code = 0;
            int end = pos;
            while (end < line.Length && end < pos + 3 && line[end] is >= '0' and <= '7')
            {
                code = (code * 8) + (line[end] - '0');
                end++;
            }
            value.Append((char)code);
            return end;
        }
        value.Append(ch);
        return pos + 1;
    }

    private static bool IsKeyStart(char ch) => char.IsAsciiLetter(ch) || ch == '_' || ch >= '\u0080';

    private static int SkipSpace(string line, int pos)
    {
        while (pos < line.Length && char.IsWhiteSpace(line[pos]))
        {
            pos++;
        }
        return pos;
    }
}
