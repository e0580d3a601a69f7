using System.Globalization;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Safety;

/// <summary>
/// One host's worth of things PgHa must never delete, shared by the guard tests: a registered primary
/// (node1), and another cluster PgHa never registered, nested two levels deep in a private folder
/// (Nest/p/data, so its parent and grandparent are this fixture's own), with a tablespace in Nest/ts, its
/// WAL relocated to Nest/wal/pg_wal, a symlink Nest/link to its data directory and files beside it; and a
/// private sshd to reach the same host over SSH. <see cref="AssertIntactAsync"/> proves nothing was lost.
/// </summary>
public sealed class GuardedHostFixture : IAsyncLifetime
{
    private const string Bin = PostgresServer.BinDirectory;

    public PgHaSession Session { get; } = new();

    public ReplicatedServers Servers { get; private set; } = null!;

    public PostgresServer Primary => Servers.Primary;

    public string PrimaryConninfo => ReplicatedServers.NodeConninfo(Primary);

    public SshServer Ssh { get; private set; } = null!;

    public string KnownHostsFile => Path.Combine(Nest, "known_hosts");

    /// <summary>The private folder everything of the unregistered cluster lives in.</summary>
    public string Nest { get; private set; } = string.Empty;

    public string OtherParent => Path.Combine(Nest, "p");

    public string OtherData => Path.Combine(OtherParent, "data");

    public string Tablespace => Path.Combine(Nest, "ts");

    public string WalParent => Path.Combine(Nest, "wal");

    public string Wal => Path.Combine(WalParent, "pg_wal");

    public string Link => Path.Combine(Nest, "link");

    public string OtherAddress { get; private set; } = string.Empty;

    public int OtherPort { get; private set; }

    public int OtherPid { get; private set; }

    public string OtherConninfo => $"host={OtherAddress} port={OtherPort.ToString(CultureInfo.InvariantCulture)} user=postgres dbname=postgres connect_timeout=5";

    public async Task InitializeAsync()
    {
        Servers = await ReplicatedServers.StartAsync("guard", standbyCount: 0);
        Session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -DataDirectory $args[1]", PrimaryConninfo, Primary.DataDirectory).ThrowIfErrors();

        Nest = await TestDirectories.CreateAsync("guard", FixtureCommand.PostgresUser);
        foreach (string dir in new[] { OtherParent, Tablespace, WalParent, Path.Combine(Nest, "sock") })
        {
            await AsPostgresAsync("mkdir", "-m", "0700", dir);
        }
        OtherAddress = LoopbackAddresses.Reserve();
        OtherPort = LoopbackAddresses.FreePort(OtherAddress);
        OtherPid = await StartUnregisteredAsync(OtherData, OtherAddress, OtherPort, Path.Combine(Nest, "sock"), Path.Combine(Nest, "other.log"), "--waldir", Wal);
        await OtherSqlAsync($"CREATE TABLESPACE ts LOCATION '{Tablespace}'");
        await OtherSqlAsync("CREATE TABLE in_tablespace (id int) TABLESPACE ts; INSERT INTO in_tablespace VALUES (42); CREATE TABLE kept (id int); INSERT INTO kept VALUES (7); CHECKPOINT");

        File.CreateSymbolicLink(Link, OtherData);
        await File.WriteAllTextAsync(Path.Combine(Nest, "keep.txt"), "grandparent");
        await File.WriteAllTextAsync(Path.Combine(OtherParent, "keep.txt"), "parent");

        Ssh = await SshServer.StartAsync();
        Ssh.WriteKnownHosts(KnownHostsFile);
    }

    /// <summary>Both servers still run as the same processes and answer with their rows, and every file around them is there.</summary>
    public async Task AssertIntactAsync()
    {
        Assert.True(LinuxProcesses.IsAlive(OtherPid), $"The unregistered server (pid {OtherPid}) no longer runs.");
        Assert.Equal("49", await OtherSqlAsync("SELECT (SELECT id FROM in_tablespace) + (SELECT id FROM kept)"));
        Assert.Equal("1", await Primary.QueryScalarAsync("SELECT 1"));
        foreach (string file in new[]
        {
            Path.Combine(Nest, "keep.txt"), Path.Combine(OtherParent, "keep.txt"),
            Path.Combine(OtherData, "PG_VERSION"), Path.Combine(OtherData, "global", "pg_control"), Path.Combine(OtherData, "global", "pg_filenode.map"),
            Path.Combine(Primary.DataDirectory, "PG_VERSION"), Path.Combine(Primary.DataDirectory, "global", "pg_control"),
        })
        {
            Assert.True(File.Exists(file), $"{file} is gone.");
        }
        Assert.NotEmpty(Directory.GetDirectories(Tablespace, "PG_15_*"));
        Assert.Contains(Directory.GetFiles(Wal), f => Path.GetFileName(f).Length == 24);
        Assert.Equal(OtherData, new FileInfo(Link).LinkTarget);
    }

    public async Task<string> OtherSqlAsync(string sql)
    {
        var result = await FixtureCommand.RunAsync(Path.Combine(Bin, "psql"), ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", OtherConninfo, "-c", sql], default, TimeSpan.FromSeconds(60));
        Assert.True(result.Succeeded, $"psql on the unregistered server failed: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    /// <summary>initdb and pg_ctl start as postgres, as any DBA would, with nothing of PgHa; returns the postmaster's pid.</summary>
    public static async Task<int> StartUnregisteredAsync(string dataDirectory, string address, int port, string socketDirectory, string logFile, params string[] initdbOptions)
    {
        await AsPostgresAsync(Path.Combine(Bin, "initdb"), ["-D", dataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8", .. initdbOptions]);
        await File.AppendAllTextAsync(Path.Combine(dataDirectory, "postgresql.conf"),
            $"\nlisten_addresses = '{address}'\nport = {port.ToString(CultureInfo.InvariantCulture)}\nunix_socket_directories = '{socketDirectory}'\n" +
            "fsync = off\nshared_buffers = '16MB'\nmax_wal_senders = 0\nwal_level = minimal\n");
        await AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start");
        return int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
    }

    public static async Task AsPostgresAsync(string program, params string[] arguments)
    {
        var result = await FixtureCommand.RunAsPostgresAsync(program, arguments, default, TimeSpan.FromSeconds(90));
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"{program} failed: {result.Describe()}");
        }
    }

    public async Task DisposeAsync()
    {
        Session.Dispose();
        if (Nest.Length > 0)
        {
            if (File.Exists(Path.Combine(OtherData, "postmaster.pid")))
            {
                await FixtureCommand.RunAsPostgresAsync(Path.Combine(Bin, "pg_ctl"), ["-D", OtherData, "-m", "immediate", "-w", "-t", "30", "stop"], default, TimeSpan.FromSeconds(35));
            }
            foreach (int leftover in LinuxProcesses.WithCommandLineContaining(Nest + "/"))
            {
                LinuxProcesses.KillHard(leftover);
            }
            TestDirectories.Delete(Nest);
        }
        if (OtherAddress.Length > 0)
        {
            LoopbackAddresses.Release(OtherAddress);
        }
        if (Ssh is not null)
        {
            await Ssh.DisposeAsync();
        }
        if (Servers is not null)
        {
            await Servers.DisposeAsync();
        }
    }
}
