using System.Text;
using System.Text.RegularExpressions;

namespace PgHa.Core;

/// <summary>
/// A value the user gave, as an error message shows it: in quotes, on one line (a newline in a name or a path
/// is the mistake to see), and short (a 5000-character value would bury the sentence that says what to do).
/// </summary>
internal static partial class MessageText
{
    /// <summary>Longer values keep their first characters and say how long they were.</summary>
    public const int MaxShown = 120;

    public static string Quote(string? value)
    {
        if (value is null)
        {
            return "''";
        }
        var text = new StringBuilder(Math.Min(value.Length, MaxShown) + 2).Append('\'');
        foreach (char c in value.Length > MaxShown ? value[..MaxShown] : value)
        {
            text.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        text.Append('\'');
        return value.Length > MaxShown ? $"{text}... ({value.Length} characters)" : text.ToString();
    }

    /// <summary>Text that may hold such a value (a program's error output, a conninfo): each overlong word is cut as <see cref="Quote"/> cuts.</summary>
    public static string Shorten(string text) =>
        LongWord().Replace(text, m => $"{m.Value[..MaxShown]}... ({m.Value.Length} characters)");

    [GeneratedRegex(@"\S{121,}")]
    private static partial Regex LongWord();
}
