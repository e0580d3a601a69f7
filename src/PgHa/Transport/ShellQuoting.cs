namespace PgHa.Transport;

/// <summary>
/// POSIX shell quoting for the one command string an SSH exec request carries: the remote shell must
/// hand every argument to the program exactly as given, whatever quotes, spaces or $ it contains.
/// </summary>
public static class ShellQuoting
{
    /// <summary>Wraps the value in single quotes; an embedded ' becomes '\'' (close, escaped quote, reopen).</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0'))
        {
            // No shell can pass a NUL inside an argument; failing here beats a silently cut argument.
            throw new ArgumentException("An argument cannot contain a NUL character.", nameof(value));
        }
        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>The program and its arguments, each quoted, separated by single spaces.</summary>
    public static string Join(string program, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(arguments);
        return string.Join(' ', new[] { program }.Concat(arguments).Select(Quote));
    }
}
