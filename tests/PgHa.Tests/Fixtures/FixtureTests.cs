using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Fixtures;

/// <summary>The server fixtures every later test stands on: they start, replicate, accept keys and leave nothing behind.</summary>
public sealed class FixtureTests
{
    private readonly ITestOutputHelper _output;

    public FixtureTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task PrimaryStartsOnItsOwnAddressWithTheSeedSettings()
    {
        var clock = Stopwatch.StartNew();
        await using var primary = await PostgresServer.InitPrimaryAsync("fxprimary");
        _output.WriteLine($"primary up in {clock.ElapsedMilliseconds} ms at {primary}");

        Assert.Equal("1", await primary.QueryScalarAsync("SELECT 1"));
        Assert.Equal("f", await primary.QueryScalarAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal(primary.Address, await primary.QueryScalarAsync("SHOW listen_addresses"));
        Assert.Equal(primary.Port.ToString(), await primary.QueryScalarAsync("SHOW port"));
        Assert.Equal(primary.SocketDirectory, await primary.QueryScalarAsync("SHOW unix_socket_directories"));
        Assert.Equal("replica", await primary.QueryScalarAsync("SHOW wal_level"));
        Assert.Equal("on", await primary.QueryScalarAsync("SHOW wal_log_hints"));
        Assert.Equal("off", await primary.QueryScalarAsync("SHOW data_checksums"));
        Assert.Equal("10", await primary.QueryScalarAsync("SHOW max_wal_senders"));
        Assert.Equal("10", await primary.QueryScalarAsync("SHOW max_replication_slots"));
        Assert.StartsWith("127.0.0.", primary.Address);
        Assert.NotEqual("127.0.0.1", primary.Address);
        Assert.Contains($"host={primary.Address} port={primary.Port} user=postgres dbname=postgres", primary.Conninfo);
        Assert.True(primary.Pid > 0);
        Assert.Equal("postgres", await OwnerOfAsync(primary.DataDirectory));
    }

    [Fact]
    public async Task StandbyStreamsAndSeesWhatThePrimaryWrites()
    {
        var clock = Stopwatch.StartNew();
        await using var primary = await PostgresServer.InitPrimaryAsync("fxsource");
        var primaryUp = clock.ElapsedMilliseconds;
        await using var standby = await PostgresServer.CloneStandbyAsync(primary, "fxreplica");
        _output.WriteLine($"primary up in {primaryUp} ms, standby streaming {clock.ElapsedMilliseconds - primaryUp} ms later");

        Assert.NotEqual(primary.Address, standby.Address);
        Assert.Equal("t", await standby.QueryScalarAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal(standby.Address, await standby.QueryScalarAsync("SHOW listen_addresses"));
        Assert.Equal(standby.SocketDirectory, await standby.QueryScalarAsync("SHOW unix_socket_directories"));
        Assert.Equal("fxreplica", await primary.QueryScalarAsync("SELECT application_name FROM pg_stat_replication"));

        await primary.ExecuteAsync("CREATE TABLE probe (id int PRIMARY KEY, note text); INSERT INTO probe VALUES (1, 'it''s here')");
        // The table is looked for first: a query that names it fails to parse until its creation is replayed.
        var seen = await Polling.UntilAsync(async () => await standby.QueryScalarAsync("SELECT to_regclass('probe') IS NOT NULL") == "t", TimeSpan.FromSeconds(30))
            && await Polling.UntilAsync(async () => await standby.QueryScalarAsync("SELECT note FROM probe WHERE id = 1") == "it's here", TimeSpan.FromSeconds(30));
        Assert.True(seen, "the standby never saw the row written on the primary\n" + standby.LogTail());
    }

    [Fact]
    public async Task KilledPrimaryStartsAgainAndPromotedStandbyLeavesRecovery()
    {
        await using var primary = await PostgresServer.InitPrimaryAsync("fxcrash");
        await using var standby = await PostgresServer.CloneStandbyAsync(primary, "fxheir");
        var pid = primary.Pid!.Value;

        await primary.KillAsync();
        Assert.False(LinuxProcesses.IsAlive(pid));
        Assert.Null(primary.Pid);

        await standby.PromoteAsync();
        Assert.Equal("f", await standby.QueryScalarAsync("SELECT pg_is_in_recovery()"));

        await primary.StartAsync();
        Assert.Equal("1", await primary.QueryScalarAsync("SELECT 1"));
        await primary.StopAsync(PostgresShutdownMode.Fast);
        Assert.Null(primary.Pid);
    }

    [Fact]
    public async Task SshServerLetsPostgresInWithTheClientKeyOnly()
    {
        await using var ssh = await SshServer.StartAsync();
        var knownHosts = Path.Combine(ssh.Directory, "client_known_hosts");

        ssh.WriteKnownHosts(knownHosts);
        var login = await RunSshAsync(ssh, knownHosts, "id", "-un");
        Assert.True(login.Succeeded, login.Describe() + "\n" + ssh.LogTail());
        Assert.Equal("postgres", login.StandardOutput.Trim());

        ssh.WriteWrongKnownHosts(knownHosts);
        var impostor = await RunSshAsync(ssh, knownHosts, "id", "-un");
        Assert.Equal(255, impostor.ExitCode);
        Assert.Contains("HOST IDENTIFICATION HAS CHANGED", impostor.StandardError);
    }

    [Fact]
    public async Task NothingIsLeftAfterDispose()
    {
        var primary = await PostgresServer.InitPrimaryAsync("fxgone");
        var standby = await PostgresServer.CloneStandbyAsync(primary, "fxgone2");
        var ssh = await SshServer.StartAsync();
        var pids = new[] { primary.Pid!.Value, standby.Pid!.Value, ssh.Pid };
        var directories = new[] { primary.RootDirectory, standby.RootDirectory, ssh.Directory };

        await standby.DisposeAsync();
        await primary.DisposeAsync();
        await ssh.DisposeAsync();

        Assert.All(pids, pid => Assert.False(LinuxProcesses.IsAlive(pid), $"process {pid} still runs"));
        Assert.All(directories, directory => Assert.False(Directory.Exists(directory), $"{directory} still exists"));
        Assert.Empty(LinuxProcesses.WithCommandLineContaining(primary.RootDirectory + "/"));
    }

    private static Task<FixtureCommandResult> RunSshAsync(SshServer ssh, string knownHosts, params string[] command) =>
        FixtureCommand.RunAsync("ssh", new[]
        {
            "-i", ssh.ClientKeyPath, "-p", ssh.Port.ToString(),
            "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=5",
            $"{SshServer.User}@{ssh.Address}",
        }.Concat(command), timeout: TimeSpan.FromSeconds(30));

    private static async Task<string> OwnerOfAsync(string path) =>
        (await FixtureCommand.RunCheckedAsync("stat", new[] { "-c", "%U", path })).StandardOutput.Trim();
}
