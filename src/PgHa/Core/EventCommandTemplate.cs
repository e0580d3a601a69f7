using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PgHa.Core;

/// <summary>
/// An event hook's command template (repmgr's event_notification_command) turned into a /bin/sh script
/// and its arguments. Placeholders: %n node id, %a node name, %e event, %s success (1 or 0), %t timestamp
/// ('yyyy-MM-dd HH:mm:ss+00', UTC), %d details, %% a literal %. Any other %x stays as written, as repmgr
/// leaves it.
/// </summary>
/// <remarks>
/// Values are never pasted into the script text. Each placeholder becomes a reference to a positional
/// parameter of <c>sh -c script name value...</c>, and the values travel as those arguments, so no
/// event text (a node name, an error message in the details) is ever parsed by the shell, wherever the
/// placeholder stands. Pasting a quoted value instead would be safe only where the placeholder is not
/// already inside quotes, and repmgr's own documented template is <c>script %n %e %s "%t" "%d"</c>:
/// a value quoted for the bare position but standing inside "..." would have its $(...) run. The only
/// thing that depends on where a placeholder stands is how the reference is written, so that the value
/// arrives as exactly its text: <c>"${6}"</c> outside quotes, <c>${6}</c> inside double quotes, and
/// <c>'"${6}"'</c> (close, expand, reopen) inside single quotes. A template too unusual for this quote
/// tracking (a here-document, quotes nested in $(...) inside double quotes) can get a value split into
/// words, never a value run as a command.
/// </remarks>
internal static class EventCommandTemplate
{
    /// <summary>$0 of the hook's shell, in messages sh prints about itself.</summary>
    public const string ShellName = "pgha-event-hook";

    // The positional parameter each placeholder stands for; the order of Arguments.
    private static readonly Dictionary<char, int> Placeholders = new()
    {
        ['n'] = 1,
        ['a'] = 2,
        ['e'] = 3,
        ['s'] = 4,
        ['t'] = 5,
        ['d'] = 6,
    };

    // Details never hold a password (conninfos are stored and shown without one), but the hook's
    // arguments are visible to every local user in ps, so a password that slipped into an error message
    // must not go further: keyword form (password=..., quoted or not) and URI form (scheme://user:secret@).
    private static readonly Regex KeywordPassword = new(@"\b(password|sslpassword)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex UriPassword = new(@"(postgres(?:ql)?://[^:/@\s]*):[^@\s]*@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private enum Quoting
    {
        None,
        Single,
        Double,
    }

    /// <summary>The template as a sh script whose placeholders refer to the positional parameters from <see cref="Arguments"/>.</summary>
    public static string ToScript(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var script = new StringBuilder(template.Length + 16);
        var quoting = Quoting.None;
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c == '%')
            {
                char next = i + 1 < template.Length ? template[i + 1] : '\0';
                if (Placeholders.TryGetValue(next, out int position))
                {
                    script.Append(Reference(position, quoting));
                    i++;
                    continue;
                }
                script.Append('%');
                if (next == '%')
                {
                    i++;
                }
                continue;
            }

            script.Append(c);
            switch (quoting)
            {
                case Quoting.None or Quoting.Double when c == '\\':
                    // A backslash keeps the next character literal (a quote, or a % that is then no placeholder).
                    if (i + 1 < template.Length)
                    {
                        script.Append(template[++i]);
                    }
                    break;
                case Quoting.None when c == '\'':
                    quoting = Quoting.Single;
                    break;
                case Quoting.None when c == '"':
                    quoting = Quoting.Double;
                    break;
                case Quoting.Single when c == '\'':
                case Quoting.Double when c == '"':
                    quoting = Quoting.None;
                    break;
            }
        }
        return script.ToString();
    }

    /// <summary>The values of $1..$6 for <paramref name="e"/>: node id, node name, event, 1/0, timestamp, details.</summary>
    public static IReadOnlyList<string> Arguments(PgHaEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return
        [
            e.NodeId.ToString(CultureInfo.InvariantCulture),
            e.NodeName,
            e.Event,
            e.Successful ? "1" : "0",
            Timestamp(e.Timestamp),
            RedactPasswords(e.Details ?? string.Empty),
        ];
    }

    /// <summary>%t: repmgr's form of the event time, in UTC.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "+00";

    /// <summary>Any password in <paramref name="text"/> replaced by asterisks.</summary>
    public static string RedactPasswords(string text)
    {
        string keywordsDone = KeywordPassword.Replace(text, m => m.Groups[1].Value + m.Groups[2].Value + "********");
        return UriPassword.Replace(keywordsDone, m => m.Groups[1].Value + ":********@");
    }

    private static string Reference(int position, Quoting quoting) => quoting switch
    {
        Quoting.None => $"\"${{{position}}}\"",
        Quoting.Double => $"${{{position}}}",
        _ => $"'\"${{{position}}}\"'",
    };
}
