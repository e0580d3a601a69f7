namespace PgHa.Conninfo;

/// <summary>
/// What libpq reads from outside the connection string: environment variables, the home directory and
/// the OS user name. A separate type so tests can supply their own.
/// </summary>
internal sealed class LibpqEnvironment
{
    public LibpqEnvironment(Func<string, string?> variable, string? homeDirectory, string osUserName)
    {
        Variable = variable;
        HomeDirectory = homeDirectory;
        OsUserName = osUserName;
    }

    public static LibpqEnvironment Current { get; } = new(
        Environment.GetEnvironmentVariable,
        OperatingSystem.IsWindows()
            ? Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData)
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        Environment.UserName);

    public Func<string, string?> Variable { get; }

    /// <summary>$HOME on Unix; %APPDATA% on Windows, where libpq keeps postgresql\pgpass.conf.</summary>
    public string? HomeDirectory { get; }

    public string OsUserName { get; }

    // Debian's libpq is built with /var/run/postgresql as its socket directory (upstream uses /tmp).
    public string DefaultSocketDirectory => "/var/run/postgresql";

    /// <summary>
    /// passfile keyword, else PGPASSFILE, else ~/.pgpass (%APPDATA%\postgresql\pgpass.conf on Windows). A
    /// passfile keyword in the string hides PGPASSFILE even when empty; an empty value means the default file.
    /// </summary>
    public string? PasswordFilePath(string? passfileKeyword)
    {
        string? given = passfileKeyword ?? Variable("PGPASSFILE");
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        if (string.IsNullOrEmpty(HomeDirectory))
        {
            return null;
        }

        return OperatingSystem.IsWindows()
            ? Path.Combine(HomeDirectory, "postgresql", "pgpass.conf")
            : Path.Combine(HomeDirectory, ".pgpass");
    }
}
