namespace PgHa.Conninfo;

/// <summary>The connection keywords libpq knows, and which of them hold secrets.</summary>
internal static class ConninfoKeywords
{
    public const string Host = "host";
    public const string HostAddress = "hostaddr";
    public const string Port = "port";
    public const string DatabaseName = "dbname";
    public const string User = "user";
    public const string Password = "password";
    public const string SslPassword = "sslpassword";
    public const string PasswordFile = "passfile";
    public const string ApplicationName = "application_name";
    public const string FallbackApplicationName = "fallback_application_name";

    // PQconndefaults() of libpq 15 (checked against libpq.so.5.15 on the project machine), plus the
    // keywords libpq 16 and 17 added: conninfo strings written for newer servers must still parse.
    // Keywords libpq 15 no longer knows (tty, requiressl, authtype) are refused, as libpq 15 does,
    // because PgHa hands conninfo strings on to pg_basebackup and primary_conninfo.
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "service", User, Password, PasswordFile, "channel_binding", "connect_timeout", DatabaseName, Host,
        HostAddress, Port, "client_encoding", "options", ApplicationName, FallbackApplicationName,
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
        "sslmode", "sslcompression", "sslcert", "sslkey", SslPassword, "sslrootcert", "sslcrl", "sslcrldir",
        "sslsni", "requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version", "gssencmode",
        "krbsrvname", "gsslib", "replication", "target_session_attrs",
        // libpq 16
        "require_auth", "sslcertmode", "load_balance_hosts", "gssdelegation",
        // libpq 17
        "sslnegotiation",
    };

    public static bool IsKnown(string keyword) => Known.Contains(keyword);

    /// <summary>The known keyword that differs from <paramref name="keyword"/> only in case, for a hint.</summary>
    public static string? FindIgnoringCase(string keyword) =>
        Known.FirstOrDefault(known => string.Equals(known, keyword, StringComparison.OrdinalIgnoreCase));

    /// <summary>Keywords whose values are never shown: libpq marks them with dispchar "*".</summary>
    public static bool IsSecret(string keyword) => keyword is Password or SslPassword;
}
