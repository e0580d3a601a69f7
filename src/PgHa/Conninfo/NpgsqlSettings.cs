using System.Globalization;
using System.Net;
using Npgsql;

namespace PgHa.Conninfo;

/// <summary>
/// Turns a libpq conninfo into an Npgsql connection string with libpq's defaults and password rules,
/// so a node's conninfo means the same to PgHa as to psql, pg_basebackup and repmgr.
/// </summary>
internal static class NpgsqlSettings
{
    private const string DefaultPort = "5432";

    // Npgsql refuses longer connect timeouts (NpgsqlConnection.TimeoutLimit).
    private const int NpgsqlTimeoutLimit = 1024;

    // The environment variable libpq reads when the keyword is not in the string (conninfo_add_defaults):
    // only an absent keyword takes it, and a variable that is set counts even when empty (getenv).
    private static readonly Dictionary<string, string> EnvironmentDefaults = new(StringComparer.Ordinal)
    {
        [ConninfoKeywords.Host] = "PGHOST",
        [ConninfoKeywords.HostAddress] = "PGHOSTADDR",
        [ConninfoKeywords.Port] = "PGPORT",
        [ConninfoKeywords.DatabaseName] = "PGDATABASE",
        [ConninfoKeywords.User] = "PGUSER",
        [ConninfoKeywords.Password] = "PGPASSWORD",
        [ConninfoKeywords.ApplicationName] = "PGAPPNAME",
        ["connect_timeout"] = "PGCONNECT_TIMEOUT",
        ["client_encoding"] = "PGCLIENTENCODING",
        ["options"] = "PGOPTIONS",
        ["sslmode"] = "PGSSLMODE",
        ["sslcert"] = "PGSSLCERT",
        ["sslkey"] = "PGSSLKEY",
        ["sslrootcert"] = "PGSSLROOTCERT",
        ["sslcrl"] = "PGSSLCRL",
        ["sslcrldir"] = "PGSSLCRLDIR",
        ["sslsni"] = "PGSSLSNI",
        ["ssl_min_protocol_version"] = "PGSSLMINPROTOCOLVERSION",
        ["ssl_max_protocol_version"] = "PGSSLMAXPROTOCOLVERSION",
        ["sslcertmode"] = "PGSSLCERTMODE",
        ["sslnegotiation"] = "PGSSLNEGOTIATION",
        ["requirepeer"] = "PGREQUIREPEER",
        ["service"] = "PGSERVICE",
        ["gssdelegation"] = "PGGSSDELEGATION",
        ["channel_binding"] = "PGCHANNELBINDING",
        ["gssencmode"] = "PGGSSENCMODE",
        ["krbsrvname"] = "PGKRBSRVNAME",
        ["target_session_attrs"] = "PGTARGETSESSIONATTRS",
        ["require_auth"] = "PGREQUIREAUTH",
        ["load_balance_hosts"] = "PGLOADBALANCEHOSTS",
    };

    // Keywords Npgsql has no equivalent for and whose absence changes what the connection does or
    // checks, with the values that ask for nothing beyond libpq's default (those are accepted).
    private static readonly Dictionary<string, string[]> Unsupported = new(StringComparer.Ordinal)
    {
        ["service"] = [],
        ["requirepeer"] = [],
        ["ssl_min_protocol_version"] = ["TLSv1", "TLSv1.1", "TLSv1.2"],
        ["ssl_max_protocol_version"] = [],
        ["replication"] = ["0", "false", "off", "no"],
        ["sslcertmode"] = ["allow"],
        ["gssdelegation"] = ["0"],
        ["sslnegotiation"] = ["postgres"],
    };

    // Ignored: tuning or legacy keywords whose absence does not change what is connected to or verified
    // (sslcompression is ignored by libpq 15 itself, sslsni is always sent by .NET, gsslib is Windows-only).
    // keepalives_count and tcp_user_timeout only change how fast a dead peer is noticed.

    /// <inheritdoc cref="ToNpgsqlConnectionPlan(ConnectionInfo, NetworkCredential?, int, string?, LibpqEnvironment, Action{string}?)"/>
    public static NpgsqlConnectionPlan ToNpgsqlConnectionPlan(
        ConnectionInfo info, NetworkCredential? credential, int connectTimeoutSeconds, string? databaseOverride = null, Action<string>? warn = null) =>
        ToNpgsqlConnectionPlan(info, credential, connectTimeoutSeconds, databaseOverride, LibpqEnvironment.Current, warn);

    /// <summary>The connection string of <see cref="ToNpgsqlConnectionPlan(ConnectionInfo, NetworkCredential?, int, string?, LibpqEnvironment, Action{string}?)"/>.</summary>
    public static string ToNpgsqlConnectionString(
        ConnectionInfo info,
        NetworkCredential? credential,
        int connectTimeoutSeconds,
        string? databaseOverride,
        LibpqEnvironment environment,
        Action<string>? warn) =>
        ToNpgsqlConnectionPlan(info, credential, connectTimeoutSeconds, databaseOverride, environment, warn).ConnectionString;

    /// <summary>
    /// An Npgsql connection string for <paramref name="info"/>, and the TLS checks libpq would make.
    /// Pooling is always off: PgHa's cmdlets must not leave idle sessions behind on the servers.
    /// </summary>
    /// <param name="credential">Wins over the conninfo's user and password when given.</param>
    /// <param name="connectTimeoutSeconds">The caller's limit; the conninfo's connect_timeout can only shorten it.</param>
    /// <param name="databaseOverride">Connect to this database instead (e.g. the metadata database).</param>
    /// <param name="warn">Told about a password file that is ignored.</param>
    /// <exception cref="ConninfoFormatException">A value is invalid or asks for something Npgsql cannot do.</exception>
    /// <exception cref="LibpqTlsException">libpq would refuse the TLS setup, or PgHa cannot check it as libpq would.</exception>
    public static NpgsqlConnectionPlan ToNpgsqlConnectionPlan(
        ConnectionInfo info,
        NetworkCredential? credential,
        int connectTimeoutSeconds,
        string? databaseOverride,
        LibpqEnvironment environment,
        Action<string>? warn)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentOutOfRangeException.ThrowIfLessThan(connectTimeoutSeconds, 1);
        // A keyword in the string wins, even with an empty value ("sslrootcert=''" hides PGSSLROOTCERT, as in
        // libpq); only an absent one takes its PG* variable. What an empty value means is each keyword's own
        // rule, as libpq applies it: the default for most (host, user, sslrootcert: ~/.postgresql/root.crt, ...),
        // an invalid value for the ones libpq checks against a list or parses as a number (sslmode, gssencmode,
        // channel_binding, target_session_attrs, connect_timeout, keepalives*).
        string? Setting(string keyword)
        {
            string? value = info[keyword];
            if (value is not null)
            {
                return value;
            }

            return EnvironmentDefaults.TryGetValue(keyword, out string? variable) ? environment.Variable(variable) : null;
        }

        string? SettingOrDefault(string keyword) => NonEmpty(Setting(keyword));

        foreach (var (keyword, harmlessValues) in Unsupported)
        {
            // The PG* variable counts as much as the keyword: libpq honours both. An empty value asks for
            // nothing (libpq skips it), except service: libpq looks for a service named "" and fails.
            string? value = Setting(keyword);
            bool harmless = value is null
                || (value.Length == 0 ? keyword != "service" : harmlessValues.Contains(value, StringComparer.OrdinalIgnoreCase));
            if (!harmless)
            {
                throw new ConninfoFormatException(info[keyword] is null
                    ? $"the environment variable {EnvironmentDefaults[keyword]} sets \"{keyword}\", which PgHa does not support (Npgsql cannot honour it); unset it"
                    : $"\"{keyword}\" is not supported by PgHa (Npgsql cannot honour it); remove it from the connection string");
            }
        }

        string user = NonEmpty(credential?.UserName) ?? SettingOrDefault(ConninfoKeywords.User) ?? environment.OsUserName;
        string database = NonEmpty(databaseOverride) ?? SettingOrDefault(ConninfoKeywords.DatabaseName) ?? user;
        var builder = new NpgsqlConnectionStringBuilder
        {
            Pooling = false,
            // No load of the server's type catalogue on a connection string's first connection: PgHa reads only
            // built-in types (no enum, domain or extension type anywhere in its SQL), and that query and its
            // mapping cost 0.15-0.2 s of a switchover run as a new pwsh process (one per node). Npgsql would have
            // this set on an NpgsqlDataSourceBuilder; PgHa opens plain connections, so the connection string
            // keeps it.
#pragma warning disable CS0618
            ServerCompatibilityMode = ServerCompatibilityMode.NoTypeLoading,
#pragma warning restore CS0618
            Username = user,
            Database = database,
            Timeout = ConnectTimeout(Setting("connect_timeout"), connectTimeoutSeconds),
            ApplicationName = SettingOrDefault(ConninfoKeywords.ApplicationName) ?? NonEmpty(info[ConninfoKeywords.FallbackApplicationName]) ?? "PgHa",
            // libpq turns TCP keepalives on unless keepalives=0 (an empty value is not an integer to it either).
            TcpKeepAlive = info["keepalives"] is not { } keepalives || ParseInteger("keepalives", keepalives) != 0,
        };

        var endpoints = Endpoints(SettingOrDefault(ConninfoKeywords.Host), SettingOrDefault(ConninfoKeywords.HostAddress), SettingOrDefault(ConninfoKeywords.Port), environment);
        var distinctPorts = endpoints.Select(e => e.Port).Distinct().ToList();
        if (distinctPorts.Count == 1)
        {
            builder.Host = string.Join(",", endpoints.Select(e => e.Target));
            builder.Port = int.Parse(distinctPorts[0], CultureInfo.InvariantCulture);
        }
        else
        {
            builder.Host = string.Join(",", endpoints.Select(e => (e.Target.Contains(':') ? "[" + e.Target + "]" : e.Target) + ":" + e.Port));
        }

        // An empty password is none: libpq then looks in the password file (but password='' still hides PGPASSWORD).
        string? password = NonEmpty(credential?.Password) ?? SettingOrDefault(ConninfoKeywords.Password);
        if (password is null)
        {
            string? passfile = environment.PasswordFilePath(info[ConninfoKeywords.PasswordFile]);
            if (passfile is not null)
            {
                // libpq looks the password up per host; Npgsql takes one, so the first host that has one wins.
                password = endpoints
                    .Select(e => PgPassFile.FindPassword(passfile, e.PasswordFileHost, e.Port, database, user, environment.DefaultSocketDirectory, warn))
                    .FirstOrDefault(found => found is not null);
            }
        }

        if (password is not null)
        {
            builder.Password = password;
        }

        MapOptional(builder, Setting);
        var tls = LibpqTlsPolicy.Resolve(Setting, environment, endpoints.Select(e => (e.Target, e.HostName)).ToList());
        builder.SslMode = tls.NpgsqlMode;
        builder.SslCertificate = tls.ClientCertificatePath;
        builder.SslKey = tls.ClientKeyPath;
        if (tls.ClientCertificatePath is null && tls.NpgsqlMode != SslMode.Disable && UnsentClientCertificate.NpgsqlWouldLoadOne(environment))
        {
            // Npgsql would load PGSSLCERT or its own default file where libpq sends nothing (and fail on an
            // empty or missing one): it gets a certificate that Apply never lets it send.
            (builder.SslCertificate, builder.SslKey) = UnsentClientCertificate.Files;
        }
        // libpq hands OpenSSL the sslpassword only when it is not empty, and OpenSSL asks for it only for an
        // encrypted key; .NET reads a key with a password as encrypted, so it gets one only then.
        builder.SslPassword = tls.ClientKeyIsEncrypted ? SettingOrDefault(ConninfoKeywords.SslPassword) : null;
        return new NpgsqlConnectionPlan(builder.ConnectionString, tls);
    }

    private static void MapOptional(NpgsqlConnectionStringBuilder builder, Func<string, string?> setting)
    {
        if (setting("channel_binding") is { } channelBinding)
        {
            builder.ChannelBinding = channelBinding switch
            {
                "disable" => ChannelBinding.Disable,
                "prefer" => ChannelBinding.Prefer,
                "require" => ChannelBinding.Require,
                _ => throw InvalidValue("channel_binding", channelBinding, "disable, prefer, require"),
            };
        }

        // Npgsql 10 tries GSS encryption first on every connection unless told not to (its default is
        // Prefer); libpq's "prefer" tries it only when a Kerberos credential cache exists. The attempt
        // stalled about 1 connection in 30 here for the whole connect timeout (about 5 s) before Npgsql
        // retried without it (npgsql/npgsql#6524, #6655). PgHa therefore asks for GSS encryption only
        // when the conninfo or PGGSSENCMODE names gssencmode.
        builder.GssEncryptionMode = setting("gssencmode") switch
        {
            null or "disable" => GssEncryptionMode.Disable,
            "prefer" => GssEncryptionMode.Prefer,
            "require" => GssEncryptionMode.Require,
            { } gssEncMode => throw InvalidValue("gssencmode", gssEncMode, "disable, prefer, require"),
        };

        if (setting("target_session_attrs") is { } targetSessionAttrs)
        {
            string[] allowed = ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"];
            builder.TargetSessionAttributes = allowed.Contains(targetSessionAttrs, StringComparer.Ordinal)
                ? targetSessionAttrs
                : throw InvalidValue("target_session_attrs", targetSessionAttrs, string.Join(", ", allowed));
        }

        if (setting("load_balance_hosts") is { } loadBalanceHosts)
        {
            builder.LoadBalanceHosts = loadBalanceHosts switch
            {
                "disable" => false,
                "random" => true,
                _ => throw InvalidValue("load_balance_hosts", loadBalanceHosts, "disable, random"),
            };
        }

        if (setting("keepalives_idle") is { } keepalivesIdle)
        {
            builder.TcpKeepAliveTime = ParseInteger("keepalives_idle", keepalivesIdle);
        }

        if (setting("keepalives_interval") is { } keepalivesInterval)
        {
            builder.TcpKeepAliveInterval = ParseInteger("keepalives_interval", keepalivesInterval);
        }

        // Empty is libpq's default for these: nothing sent, or the compiled-in name.
        builder.Options = NonEmpty(setting("options"));
        builder.ClientEncoding = NonEmpty(setting("client_encoding"));
        builder.KerberosServiceName = NonEmpty(setting("krbsrvname")) ?? builder.KerberosServiceName;
        builder.RequireAuth = NonEmpty(setting("require_auth"));
    }

    private static int ConnectTimeout(string? connectTimeout, int callerLimit)
    {
        int limit = Math.Min(callerLimit, NpgsqlTimeoutLimit);
        if (connectTimeout is null)
        {
            return limit;
        }

        int seconds = ParseInteger("connect_timeout", connectTimeout);
        if (seconds <= 0)
        {
            // 0 means "wait forever" to libpq; PgHa never does, so the caller's limit stands.
            return limit;
        }

        // libpq raises 1 second to 2 so a slow DNS answer does not fail every attempt.
        return Math.Min(limit, Math.Max(seconds, 2));
    }

    private static List<Endpoint> Endpoints(string? host, string? hostAddress, string? port, LibpqEnvironment environment)
    {
        string[] names = host?.Split(',') ?? [];
        string[] addresses = hostAddress?.Split(',') ?? [];
        if (names.Length > 0 && addresses.Length > 0 && names.Length != addresses.Length)
        {
            throw new ConninfoFormatException($"{names.Length} host names cannot be matched to {addresses.Length} hostaddr values");
        }

        int count = Math.Max(1, Math.Max(names.Length, addresses.Length));
        string[] ports = port?.Split(',') ?? [""];
        if (ports.Length != 1 && ports.Length != count)
        {
            throw new ConninfoFormatException($"{ports.Length} port numbers cannot be matched to {count} hosts");
        }

        var endpoints = new List<Endpoint>();
        for (int i = 0; i < count; i++)
        {
            string name = i < names.Length ? names[i] : "";
            string address = i < addresses.Length ? addresses[i] : "";
            string thePort = ports.Length == 1 ? ports[0] : ports[i];
            string target = address.Length > 0 ? address : name.Length > 0 ? name : environment.DefaultSocketDirectory;
            // libpq matches .pgpass on the host name, else the address, else "localhost" for the default socket.
            string passwordFileHost = name.Length > 0 ? name : address;
            endpoints.Add(new Endpoint(target, thePort.Length > 0 ? thePort : DefaultPort, passwordFileHost, name.StartsWith('/') ? "" : name));
        }

        return endpoints;
    }

    private static int ParseInteger(string keyword, string value) =>
        int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number)
            ? number
            : throw new ConninfoFormatException($"the value of \"{keyword}\" is not an integer");

    private static ConninfoFormatException InvalidValue(string keyword, string value, string allowed) =>
        new($"\"{value}\" is not a valid value for \"{keyword}\" (use one of: {allowed})");

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <param name="Target">What Npgsql connects to: hostaddr, else host, else the default socket directory.</param>
    /// <param name="PasswordFileHost">What libpq matches against the hostname field of .pgpass.</param>
    /// <param name="HostName">The host keyword's name libpq checks the server certificate against ("" when none).</param>
    private sealed record Endpoint(string Target, string Port, string PasswordFileHost, string HostName);
}
