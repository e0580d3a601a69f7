using PgHa.Tests.Fixtures;
using PgHa.Transport;
using Xunit;

namespace PgHa.UnitTests.Transport;

/// <summary>What every operation relies on, proven for both transports: arguments arrive intact, results come back, files round-trip as postgres.</summary>
public sealed class TransportBehaviourTests : IClassFixture<TransportServers>
{
    public static readonly TheoryData<string> Kinds = new() { "local", "ssh" };

    private static readonly string[] NastyArguments =
    {
        "plain", "", " ", "two words", "it's", "\"double\"", "back\\slash", "$HOME", "${PATH}", "`id`", "$(id)",
        "*", "?", "[a]", "~", "a;b", "a|b", "a&&b", ">out", "<in", "#comment", "--", "-n", "-e", "%s",
        "tab\there", "new\nline", "carriage\rreturn", "trailing\n", "'", "''", "'\"'\"'", "ünïcødé ✓", "!event",
    };

    private readonly TransportServers _servers;

    public TransportBehaviourTests(TransportServers servers) => _servers = servers;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ArgumentsArriveExactlyAsGiven(string kind)
    {
        var transport = _servers.Transport(kind);

        var result = await transport.RunAsync("printf", new[] { "<%s>\n" }.Concat(NastyArguments).ToList(), null, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Concat(NastyArguments.Select(argument => $"<{argument}>\n")), result.StandardOutput);
        Assert.Equal("", result.StandardError);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ExitCodeAndStandardErrorComeBack(string kind)
    {
        var transport = _servers.Transport(kind);

        var result = await transport.RunAsync("sh", new[] { "-c", "echo out; echo 'it failed' >&2; exit 3" }, null, CancellationToken.None);

        Assert.Equal(3, result.ExitCode);
        Assert.False(result.Succeeded);
        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("it failed\n", result.StandardError);
        Assert.True(result.Duration > TimeSpan.Zero);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task CommandsRunAsThePostgresUser(string kind)
    {
        var result = await _servers.Transport(kind).RunAsync("id", new[] { "-un" }, null, CancellationToken.None);

        Assert.Equal("postgres\n", result.StandardOutput);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AsRootTheLocalProgramGetsWhatRunuserGives_WithoutPrivileges(bool startsServer)
    {
        // setpriv for every program, runuser for one that starts a server (pg_ctl start): the same user, groups and
        // environment either way, and nothing of root left (saved uid, capabilities).
        var transport = _servers.Transport("local");
        const string script = "id -u; id -G; echo \"$HOME $USER $LOGNAME\"; grep -E '^(Uid|CapPrm|CapEff|CapAmb):' /proc/self/status";

        var result = await transport.RunAsync("sh", ["-c", script], new CommandOptions { StartsServer = startsServer }, CancellationToken.None);
        var reference = await transport.RunAsync("sh", ["-c", script], new CommandOptions { StartsServer = !startsServer }, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var account = OsAccount.Find("postgres")!;
        Assert.Equal(account.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[0]);
        Assert.Equal($"{account.Home} postgres postgres", lines[2]);
        Assert.Matches($@"^Uid:\s+{account.Uid}\s+{account.Uid}\s+{account.Uid}\s+{account.Uid}$", lines[3]);
        Assert.All(lines.Skip(4), line => Assert.Matches(@"^Cap(Prm|Eff|Amb):\s+0+$", line));
        Assert.Equal(reference.StandardOutput, result.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task StandardInputReachesTheProgram(string kind)
    {
        const string input = "first line\nsecond 'quoted' line ✓\nno newline at the end";

        var result = await _servers.Transport(kind).RunAsync("cat", Array.Empty<string>(), new CommandOptions { StandardInput = input }, CancellationToken.None);

        Assert.Equal(input, result.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OutputLinesReachTheCallbackAsTheyCome(string kind)
    {
        var lines = new List<CommandOutputLine>();
        var options = new CommandOptions { OnOutputLine = lines.Add };

        // \r separated updates are how pg_basebackup -P reports progress.
        var result = await _servers.Transport(kind).RunAsync("sh", new[] { "-c", "printf '10%%\\r20%%\\rdone\\r\\n'; echo warning >&2; printf 'last'" }, options, CancellationToken.None);

        Assert.Equal("10%\r20%\rdone\r\nlast", result.StandardOutput);
        Assert.Equal(new[] { "10%", "20%", "done", "last" }, lines.Where(l => l.Stream == CommandOutputStream.StandardOutput).Select(l => l.Text));
        Assert.Equal(new[] { "warning" }, lines.Where(l => l.Stream == CommandOutputStream.StandardError).Select(l => l.Text));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TimeoutStopsTheProgram(string kind)
    {
        var marker = $"pgha-timeout-{Guid.NewGuid():N}";
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => _servers.Transport(kind).RunAsync(
            "sh", new[] { "-c", "sleep 30; : " + marker }, new CommandOptions { Timeout = TimeSpan.FromMilliseconds(500) }, CancellationToken.None));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("sh", error.Message);
        // Locally the process tree is killed; over SSH the server is asked to signal it. Either way it must end.
        var gone = await Polling.UntilAsync(() => LinuxProcesses.WithCommandLineContaining(marker).Count == 0, TimeSpan.FromSeconds(10));
        Assert.True(gone, "the timed-out program still runs");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task CancellationStopsTheProgram(string kind)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _servers.Transport(kind).RunAsync("sleep", new[] { "30" }, null, cancellation.Token));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AnEmptyFileCanBeWritten(string kind)
    {
        // standby.signal is an empty file: writing nothing must still end the remote cat.
        var transport = _servers.Transport(kind);
        var path = Path.Combine(_servers.Scratch, $"{kind}-standby.signal");
        await transport.WriteFileAsync(path, string.Empty, CancellationToken.None);
        Assert.Equal(string.Empty, await transport.ReadFileAsync(path, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task FilesRoundTripAtomicallyAndOwnedByPostgres(string kind)
    {
        var transport = _servers.Transport(kind);
        var path = Path.Combine(_servers.Scratch, $"{kind} it's a file.conf");
        var content = "primary_conninfo = 'host=127.0.0.1 user=''rep'''\n# ünïcødé ✓\n";

        Assert.False(await transport.PathExistsAsync(path, CancellationToken.None));
        Assert.Null(await transport.ReadFileAsync(path, CancellationToken.None));

        await transport.WriteFileAsync(path, "old\n", CancellationToken.None);
        await transport.WriteFileAsync(path, content, CancellationToken.None);

        Assert.True(await transport.PathExistsAsync(path, CancellationToken.None));
        Assert.Equal(content, await transport.ReadFileAsync(path, CancellationToken.None));
        Assert.Equal(content, await File.ReadAllTextAsync(path));
        var owner = await FixtureCommand.RunCheckedAsync("stat", new[] { "-c", "%U %a", path });
        Assert.Equal("postgres 600", owner.StandardOutput.Trim());
        // No temporary file is left beside it.
        Assert.Equal(new[] { path }, Directory.GetFiles(_servers.Scratch, $"{kind} it's*"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task UnreadableFileIsAnErrorNotAbsent(string kind)
    {
        var transport = _servers.Transport(kind);
        // A directory of root's that postgres cannot enter: the file in it may exist, so "absent" would be a lie.
        var closed = Path.Combine(_servers.Scratch, $"closed-{kind}");
        Directory.CreateDirectory(closed);
        await FixtureCommand.RunCheckedAsync("chmod", new[] { "700", closed });
        await File.WriteAllTextAsync(Path.Combine(closed, "secret"), "x");

        await Assert.ThrowsAsync<IOException>(() => transport.ReadFileAsync(Path.Combine(closed, "secret"), CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => transport.PathExistsAsync(Path.Combine(closed, "secret"), CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => transport.WriteFileAsync(Path.Combine(closed, "secret"), "y", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task StandbyFilesAreWrittenInOneProgramAndOnlyThenTheMarkerGoes(string kind)
    {
        var transport = _servers.Transport(kind);
        var dir = Path.Combine(_servers.Scratch, $"{kind} it's a data directory");
        Assert.Equal(0, (await transport.RunAsync("mkdir", ["-m", "0700", "--", dir], null, CancellationToken.None)).ExitCode);
        await transport.WriteFileAsync(Path.Combine(dir, "postgresql.auto.conf"), "old = 1\n", CancellationToken.None);
        await transport.WriteFileAsync(Path.Combine(dir, "clone-incomplete"), "x\n", CancellationToken.None);
        var content = "primary_conninfo = 'host=127.0.0.1 application_name=''it''''s'''\n";

        await NodeFileCommands.WriteStandbyFilesAsync(transport, dir, content, "clone-incomplete", CancellationToken.None);

        Assert.Equal(content, await transport.ReadFileAsync(Path.Combine(dir, "postgresql.auto.conf"), CancellationToken.None));
        Assert.Equal(string.Empty, await transport.ReadFileAsync(Path.Combine(dir, "standby.signal"), CancellationToken.None));
        // Exactly the two files: the marker is gone and no temporary file is left.
        Assert.Equal(["postgresql.auto.conf", "standby.signal"], Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray());
        var modes = await FixtureCommand.RunCheckedAsync("stat", ["-c", "%U %a", Path.Combine(dir, "postgresql.auto.conf"), Path.Combine(dir, "standby.signal")]);
        Assert.Equal("postgres 600\npostgres 600", modes.StandardOutput.Trim());

        // Without a file to remove, the two are written all the same.
        await NodeFileCommands.WriteStandbyFilesAsync(transport, dir, "again = 1\n", null, CancellationToken.None);
        Assert.Equal("again = 1\n", await transport.ReadFileAsync(Path.Combine(dir, "postgresql.auto.conf"), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => NodeFileCommands.WriteStandbyFilesAsync(transport, dir, "x = 1\n", "../elsewhere", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task StandbyFilesThatCannotBeWrittenLeaveTheMarker(string kind)
    {
        var transport = _servers.Transport(kind);
        // A directory of root's that postgres may read but not write: nothing can be written, so the marker must stay.
        var dir = Path.Combine(_servers.Scratch, $"readonly-{kind}");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "clone-incomplete"), "x");
        await FixtureCommand.RunCheckedAsync("chmod", ["755", dir]);

        var ex = await Assert.ThrowsAsync<IOException>(() => NodeFileCommands.WriteStandbyFilesAsync(transport, dir, "a = 1\n", "clone-incomplete", CancellationToken.None));
        Assert.Contains("postgresql.auto.conf and standby.signal", ex.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "clone-incomplete")));
        Assert.False(File.Exists(Path.Combine(dir, "standby.signal")));
    }
}
