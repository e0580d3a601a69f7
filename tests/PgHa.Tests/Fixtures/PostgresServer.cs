using System.Text;

namespace PgHa.Tests.Fixtures;

/// <summary>
/// A real PostgreSQL 15 server for tests: its own loopback address, port, socket directory and data
/// directory under /tmp/pgha-tests, run as the postgres OS user. Disposing stops it (fast, then
/// immediate, then SIGKILL) and deletes its directory, also when the test failed.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable, IDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    public const string Superuser = "postgres";

    private const string NodeSettingsMarker = "# --- node settings written by the PgHa test fixture ---";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StreamingTimeout = TimeSpan.FromSeconds(60);

    private bool _disposed;

    private PostgresServer(string name, string address, int port, string rootDirectory)
    {
        Name = name;
        Address = address;
        Port = port;
        RootDirectory = rootDirectory;
    }

    public string Name { get; }

    public string Address { get; }

    public int Port { get; }

    /// <summary>Everything of this server lives below: data/, socket/, postgresql.log.</summary>
    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "data");

    public string SocketDirectory => Path.Combine(RootDirectory, "socket");

    public string LogFile => Path.Combine(RootDirectory, "postgresql.log");

    /// <summary>libpq keyword=value connection string to the postgres database.</summary>
    public string Conninfo => ConninfoFor("postgres");

    /// <summary>The postmaster's PID from postmaster.pid, or null when the server is not running.</summary>
    public int? Pid => ReadPostmasterPid();

    public string ConninfoFor(string database) =>
        $"host={Address} port={Port} user={Superuser} dbname={database}";

    /// <summary>
    /// initdb, the seed's replication settings and a trusting pg_hba.conf, then start. Extra settings
    /// (e.g. archive_mode) are appended to postgresql.conf.
    /// </summary>
    public static async Task<PostgresServer> InitPrimaryAsync(string name, IReadOnlyDictionary<string, string>? settings = null, CancellationToken cancellationToken = default)
    {
        var server = await CreateAsync(name, cancellationToken);
        try
        {
            var initdb = await FixtureCommand.RunAsPostgresAsync(Path.Combine(BinDirectory, "initdb"), new[]
            {
                // No -k: data checksums stay off, so pg_rewind relies on wal_log_hints as in the seed.
                "-D", server.DataDirectory, "-A", "trust", "-U", Superuser, "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
            }, cancellationToken);
            if (!initdb.Succeeded)
            {
                throw new InvalidOperationException($"initdb for {name} failed: {initdb.Describe()}");
            }

            await File.AppendAllTextAsync(Path.Combine(server.DataDirectory, "postgresql.conf"), SharedSettings(settings), cancellationToken);
            await server.WriteNodeSettingsAsync(cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(server.DataDirectory, "pg_hba.conf"), HostBasedAuthentication, cancellationToken);
            await server.StartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A streaming standby of <paramref name="upstream"/> made with pg_basebackup -X stream -c fast -R,
    /// with its own address, port and socket directory; returns once pg_stat_wal_receiver says streaming.
    /// </summary>
    public static async Task<PostgresServer> CloneStandbyAsync(PostgresServer upstream, string name, CancellationToken cancellationToken = default)
    {
        var server = await CreateAsync(name, cancellationToken);
        try
        {
            // application_name lands in primary_conninfo (-R), so pg_stat_replication on the upstream names the standby.
            var source = $"host={upstream.Address} port={upstream.Port} user={Superuser} application_name={name}";
            var basebackup = await FixtureCommand.RunAsPostgresAsync(Path.Combine(BinDirectory, "pg_basebackup"), new[]
            {
                "-d", source, "-D", server.DataDirectory, "-X", "stream", "-c", "fast", "-R", "--no-sync",
            }, cancellationToken, StartTimeout);
            if (!basebackup.Succeeded)
            {
                throw new InvalidOperationException($"pg_basebackup of {upstream.Name} into {name} failed: {basebackup.Describe()}\nupstream log:\n{upstream.LogTail()}");
            }

            // The copied postgresql.conf still names the upstream's address, port and socket directory.
            await server.WriteNodeSettingsAsync(cancellationToken);
            await server.StartAsync(cancellationToken);
            await server.WaitForStreamingAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// An address, port and socket directory for a server that PgHa itself creates (New-PgHaStandby
    /// clones into <see cref="DataDirectory"/>); disposing stops whatever runs there and deletes it.
    /// </summary>
    public static Task<PostgresServer> ReserveAsync(string name, CancellationToken cancellationToken = default) =>
        CreateAsync(name, cancellationToken);

    /// <summary>
    /// The settings that make a copy of another node's data directory this node's own, for
    /// New-PgHaStandby -ServerSettings (they land in postgresql.auto.conf and override the copied file).
    /// </summary>
    public System.Collections.Hashtable NodeSettings => new()
    {
        ["listen_addresses"] = Address,
        ["port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["unix_socket_directories"] = SocketDirectory,
        ["cluster_name"] = Name,
    };

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var start = await FixtureCommand.RunAsPostgresAsync(Path.Combine(BinDirectory, "pg_ctl"), new[]
        {
            "-D", DataDirectory, "-l", LogFile, "-w", "-t", ((int)StartTimeout.TotalSeconds).ToString(), "start",
        }, cancellationToken, StartTimeout + TimeSpan.FromSeconds(5));
        if (!start.Succeeded)
        {
            throw new InvalidOperationException($"PostgreSQL node {Name} ({Address}:{Port}) did not start: {start.Describe()}\nserver log:\n{LogTail()}");
        }
    }

    public async Task StopAsync(PostgresShutdownMode mode = PostgresShutdownMode.Fast, CancellationToken cancellationToken = default)
    {
        var stop = await FixtureCommand.RunAsPostgresAsync(Path.Combine(BinDirectory, "pg_ctl"), new[]
        {
            "-D", DataDirectory, "-m", mode.ToString().ToLowerInvariant(), "-w", "-t", "30", "stop",
        }, cancellationToken, TimeSpan.FromSeconds(35));
        if (!stop.Succeeded)
        {
            throw new InvalidOperationException($"PostgreSQL node {Name} did not stop ({mode}): {stop.Describe()}\nserver log:\n{LogTail()}");
        }
    }

    /// <summary>
    /// SIGKILL to the postmaster, as a crash would. Returns once it and its children are gone (they
    /// notice the postmaster's death by themselves), so a following start does not trip over them.
    /// </summary>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        var pid = Pid ?? throw new InvalidOperationException($"PostgreSQL node {Name} is not running (no postmaster.pid).");
        var children = LinuxProcesses.ChildrenOf(pid);
        LinuxProcesses.KillHard(pid);
        // Gone means reaped, not merely dead: until PID 1 reaps the zombie, PostgreSQL takes the
        // postmaster.pid lock as still held and a start fails.
        var gone = await Polling.UntilAsync(
            () => !LinuxProcesses.Exists(pid) && children.All(child => !LinuxProcesses.Exists(child)),
            TimeSpan.FromSeconds(20), cancellationToken);
        if (!gone)
        {
            foreach (var child in children)
            {
                LinuxProcesses.KillHard(child);
            }
            throw new InvalidOperationException($"PostgreSQL node {Name}: postmaster {pid} or its children were not reaped within 20 s after SIGKILL.");
        }
    }

    /// <summary>pg_ctl promote -w: returns once the node has left recovery.</summary>
    public async Task PromoteAsync(CancellationToken cancellationToken = default)
    {
        var promote = await FixtureCommand.RunAsPostgresAsync(Path.Combine(BinDirectory, "pg_ctl"), new[]
        {
            "-D", DataDirectory, "-w", "-t", "60", "promote",
        }, cancellationToken, TimeSpan.FromSeconds(65));
        if (!promote.Succeeded)
        {
            throw new InvalidOperationException($"PostgreSQL node {Name} did not promote: {promote.Describe()}\nserver log:\n{LogTail()}");
        }
    }

    public async Task ExecuteAsync(string sql, string database = "postgres", CancellationToken cancellationToken = default)
    {
        await RunPsqlAsync(sql, database, cancellationToken);
    }

    /// <summary>The first row's first column as psql prints it unaligned; null when there is no row.</summary>
    public async Task<string?> QueryScalarAsync(string sql, string database = "postgres", CancellationToken cancellationToken = default)
    {
        var output = await RunPsqlAsync(sql, database, cancellationToken);
        var firstLine = output.Split('\n')[0];
        return output.Length == 0 ? null : firstLine;
    }

    /// <summary>The end of the server log, for failure messages.</summary>
    public string LogTail(int lines = 40)
    {
        try
        {
            var all = File.ReadAllLines(LogFile);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException exception)
        {
            return $"(no log: {exception.Message})";
        }
    }

    public override string ToString() => $"{Name} {Address}:{Port}";

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            await StopForGoodAsync();
        }
        finally
        {
            TestDirectories.Delete(RootDirectory);
            LoopbackAddresses.Release(Address);
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static async Task<PostgresServer> CreateAsync(string name, CancellationToken cancellationToken)
    {
        var address = LoopbackAddresses.Reserve();
        try
        {
            var root = await TestDirectories.CreateAsync(name, FixtureCommand.PostgresUser, cancellationToken);
            var server = new PostgresServer(name, address, LoopbackAddresses.FreePort(address), root);
            var socket = await FixtureCommand.RunAsPostgresAsync("mkdir", new[] { "-m", "700", server.SocketDirectory }, cancellationToken);
            if (!socket.Succeeded)
            {
                throw new InvalidOperationException(socket.Describe());
            }
            return server;
        }
        catch
        {
            LoopbackAddresses.Release(address);
            throw;
        }
    }

    private static string SharedSettings(IReadOnlyDictionary<string, string>? extra)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("# --- settings from the seed, written by the PgHa test fixture ---");
        text.AppendLine("wal_level = replica");
        text.AppendLine("max_wal_senders = 10");
        text.AppendLine("max_replication_slots = 10");
        text.AppendLine("hot_standby = on");
        // Checksums are off; pg_rewind (rejoin of an old primary) needs hint-bit changes WAL-logged.
        text.AppendLine("wal_log_hints = on");
        // Keeps enough WAL for a briefly stopped standby to catch up without a slot.
        text.AppendLine("wal_keep_size = '128MB'");
        // Test servers are thrown away, so durability against an OS crash buys nothing; fsync dominates
        // the time of initdb-sized work and checkpoints on a shared 2-core machine. synchronous_commit
        // stays on: WAL still reaches the kernel before a commit returns, so a killed postmaster loses
        // no acknowledged commit and LSN comparisons in failover tests stay exact.
        text.AppendLine("fsync = off");
        text.AppendLine("synchronous_commit = on");
        // full_page_writes stays on: pg_rewind refuses to run without it.
        text.AppendLine("full_page_writes = on");
        text.AppendLine("shared_buffers = '32MB'");
        text.AppendLine("log_line_prefix = '%m [%p] %q%a '");
        text.AppendLine("log_connections = off");
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            text.AppendLine($"{key} = '{value.Replace("'", "''")}'");
        }
        return text.ToString();
    }

    private const string HostBasedAuthentication =
        "# Written by the PgHa test fixture: everything on loopback and the socket is trusted.\n" +
        "local   all          all                 trust\n" +
        "local   replication  all                 trust\n" +
        "host    all          all   127.0.0.0/8   trust\n" +
        "host    replication  all   127.0.0.0/8   trust\n";

    /// <summary>
    /// Address, port and socket directory kept in one marked block at the end of postgresql.conf (the
    /// last setting wins), so a clone replaces its upstream's block instead of stacking a second one.
    /// </summary>
    private async Task WriteNodeSettingsAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(DataDirectory, "postgresql.conf");
        var text = await File.ReadAllTextAsync(path, cancellationToken);
        var marker = text.IndexOf(NodeSettingsMarker, StringComparison.Ordinal);
        if (marker >= 0)
        {
            text = text[..marker];
        }
        text += $"{NodeSettingsMarker}\n" +
                $"listen_addresses = '{Address}'\n" +
                $"port = {Port}\n" +
                $"unix_socket_directories = '{SocketDirectory}'\n" +
                $"cluster_name = '{Name}'\n";
        // Overwriting keeps the file's owner (postgres) and mode.
        await File.WriteAllTextAsync(path, text, cancellationToken);
    }

    private async Task WaitForStreamingAsync(CancellationToken cancellationToken)
    {
        string? status = null;
        var streaming = await Polling.UntilAsync(async () =>
        {
            status = await QueryScalarAsync("SELECT status FROM pg_stat_wal_receiver", cancellationToken: cancellationToken);
            return status == "streaming";
        }, StreamingTimeout, cancellationToken);
        if (!streaming)
        {
            throw new InvalidOperationException($"Standby {Name} ({Address}:{Port}) is not streaming after {StreamingTimeout} (wal receiver status: {status ?? "none"}).\nserver log:\n{LogTail()}");
        }
    }

    private async Task<string> RunPsqlAsync(string sql, string database, CancellationToken cancellationToken)
    {
        var result = await FixtureCommand.RunAsync(Path.Combine(BinDirectory, "psql"), new[]
        {
            // -X: no ~/.psqlrc; -A -t: bare values; ON_ERROR_STOP: a failing statement fails the call.
            "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", ConninfoFor(database), "-c", sql,
        }, cancellationToken, TimeSpan.FromSeconds(60));
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"psql on {Name} ({Address}:{Port}) failed: {result.StandardError.Trim()}\nSQL: {sql}");
        }
        return result.StandardOutput.TrimEnd('\n');
    }

    private int? ReadPostmasterPid()
    {
        try
        {
            // postmaster.pid is readable by its owner only; tests run as root.
            var firstLine = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(firstLine, out var pid) && LinuxProcesses.IsAlive(pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task StopForGoodAsync()
    {
        if (Pid is not null)
        {
            foreach (var mode in new[] { PostgresShutdownMode.Fast, PostgresShutdownMode.Immediate })
            {
                try
                {
                    await StopAsync(mode);
                    break;
                }
                catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
                {
                    // Fall through to the next, harsher way.
                }
            }
        }
        if (Pid is { } pid)
        {
            await KillAsync();
            LinuxProcesses.KillHard(pid);
        }
        // Whatever still runs from this directory: a postmaster whose postmaster.pid is gone, a
        // pg_basebackup that a failed test left behind.
        foreach (var leftover in LinuxProcesses.WithCommandLineContaining(RootDirectory + "/"))
        {
            LinuxProcesses.KillHard(leftover);
        }
    }
}
