using System.Text;

namespace PgHa.Transport;

/// <summary>
/// The one place where PgHa turns a program and its arguments into a POSIX sh command line, for SSH
/// and for runuser/su. Every external command goes through <see cref="Join"/>, so no argument is ever
/// interpreted by a shell.
/// </summary>
public static class ShellQuoting
{
    /// <summary>
    /// <paramref name="argument"/> as one sh word: bare when it holds only characters no shell treats
    /// specially ([A-Za-z0-9_@%+=:,./-], so paths and options stay readable in verbose output), else in
    /// single quotes, where nothing is special and a quote is written as '\''.
    /// </summary>
    /// <exception cref="ArgumentException">The argument contains a NUL character, which no command line can carry.</exception>
    public static string Quote(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (argument.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A command-line argument cannot contain a NUL character.", nameof(argument));
        }

        if (argument.Length > 0 && argument.All(IsSafeBare))
        {
            return argument;
        }

        return "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>The program and its arguments as one sh command line, each word quoted by <see cref="Quote"/>.</summary>
    public static string Join(string program, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentException.ThrowIfNullOrEmpty(program);

        // sh reads a bare first word NAME=value as a variable assignment, not as the program.
        string programWord = Quote(program);
        if (programWord == program && program.Contains('=', StringComparison.Ordinal))
        {
            programWord = "'" + program + "'";
        }

        var line = new StringBuilder(programWord);
        foreach (string argument in arguments)
        {
            line.Append(' ').Append(Quote(argument));
        }

        return line.ToString();
    }

    // Deliberately small: '~', '#', '!', '{', '[' and '*' are left out as they expand in some positions or
    // shells. '=' is safe in arguments; Join quotes a program name that has one.
    private static bool IsSafeBare(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '_' or '@' or '%' or '+' or '=' or ':' or ',' or '.' or '/' or '-';
}
