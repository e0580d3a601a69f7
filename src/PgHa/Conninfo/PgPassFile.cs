namespace PgHa.Conninfo;

/// <summary>
/// Password lookup in a libpq password file (.pgpass): lines of hostname:port:database:username:password,
/// '#' comments, a field of just "*" matches anything, "\:" and "\\" escape, the first matching line wins.
/// </summary>
internal static class PgPassFile
{
    // libpq's DefaultHost: a connection over the default socket directory is looked up as "localhost".
    private const string LocalHostName = "localhost";
    private const string DefaultPort = "5432";

    /// <summary>
    /// The password for the connection, or null. <paramref name="host"/> is the host as given (name,
    /// address or socket directory; empty for the default socket), <paramref name="port"/> may be empty.
    /// </summary>
    /// <param name="warn">Told when the file is ignored because group or others can read it.</param>
    public static string? FindPassword(
        string path, string? host, string? port, string database, string user, string defaultSocketDirectory, Action<string>? warn)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        // libpq ignores a password file that others may read, and says so.
        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode groupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((File.GetUnixFileMode(path) & groupOrOthers) != 0)
            {
                warn?.Invoke($"Password file \"{path}\" has group or world access and is ignored; its permissions should be u=rw (0600) or less.");
                return null;
            }
        }

        string hostToMatch = string.IsNullOrEmpty(host) || host == defaultSocketDirectory ? LocalHostName : host;
        string portToMatch = string.IsNullOrEmpty(port) ? DefaultPort : port;
        foreach (string rawLine in File.ReadLines(path))
        {
            string line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int position = 0;
            if (FieldMatches(line, ref position, hostToMatch)
                && FieldMatches(line, ref position, portToMatch)
                && FieldMatches(line, ref position, database)
                && FieldMatches(line, ref position, user))
            {
                return ReadPasswordField(line, position);
            }
        }

        return null;
    }

    /// <summary>
    /// Matches the field at <paramref name="position"/> (up to an unescaped ':') against
    /// <paramref name="expected"/> and moves past its ':'. A field that is not followed by ':' never
    /// matches: the password field must follow.
    /// </summary>
    private static bool FieldMatches(string line, ref int position, string expected)
    {
        if (position + 1 < line.Length && line[position] == '*' && line[position + 1] == ':')
        {
            position += 2;
            return true;
        }

        int e = 0;
        int i = position;
        while (i < line.Length && line[i] != ':')
        {
            if (line[i] == '\\' && i + 1 < line.Length)
            {
                i++;
            }

            if (e == expected.Length || line[i] != expected[e])
            {
                return false;
            }

            e++;
            i++;
        }

        if (i == line.Length || e != expected.Length)
        {
            return false;
        }

        position = i + 1;
        return true;
    }

    private static string ReadPasswordField(string line, int position)
    {
        var password = new System.Text.StringBuilder();
        for (int i = position; i < line.Length && line[i] != ':'; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length)
            {
                i++;
            }

            password.Append(line[i]);
        }

        return password.ToString();
    }
}
