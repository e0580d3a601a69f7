using PgHa.Core;
using PgHa.Tests.Fixtures;
using PgHa.Transport;
using Xunit;

namespace PgHa.UnitTests.Transport;

/// <summary>
/// A command's steps share one SSH login per host (HostSessions), against a real sshd: the login is made
/// once, outlives the steps' leases, is made again when it failed or dropped, and carries at most
/// <see cref="HostSessions.MaxChannels"/> programs at once.
/// </summary>
public sealed class HostSessionsTests : IClassFixture<TransportServers>
{
    private const string Key = "postgres@test:22";

    private readonly TransportServers _servers;

    public HostSessionsTests(TransportServers servers) => _servers = servers;

    [Fact]
    public async Task StepsOnOneHostShareOneLoginThatOutlivesTheirLeases()
    {
        var logins = new List<SshTransport>();
        await using var sessions = new HostSessions();

        await using (INodeTransport first = await sessions.OpenAsync(Key, () => Connect(logins), CancellationToken.None))
        {
            Assert.Equal("postgres\n", (await first.RunAsync("id", ["-un"], null, CancellationToken.None)).StandardOutput);
        }
        await using INodeTransport second = await sessions.OpenAsync(Key, () => Connect(logins), CancellationToken.None);

        Assert.Equal("postgres\n", (await second.RunAsync("id", ["-un"], null, CancellationToken.None)).StandardOutput);
        Assert.Single(logins);
        Assert.Equal(1, sessions.Logins);
        Assert.True(logins[0].IsConnected);

        await sessions.DisposeAsync();
        Assert.False(logins[0].IsConnected);
    }

    [Fact]
    public async Task ALoginThatFailedIsNotKeptAndTheNextStepLogsInAgain()
    {
        var logins = new List<SshTransport>();
        await using var sessions = new HostSessions();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            sessions.OpenAsync(Key, () => Task.FromException<INodeTransport>(new InvalidOperationException("login refused")), CancellationToken.None));
        Assert.Equal("login refused", refused.Message);
        await using INodeTransport again = await sessions.OpenAsync(Key, () => Connect(logins), CancellationToken.None);

        Assert.Equal(0, (await again.RunAsync("true", [], null, CancellationToken.None)).ExitCode);
        Assert.Equal(2, sessions.Logins);
    }

    [Fact]
    public async Task ASessionThatDroppedIsReplacedByANewLogin()
    {
        var logins = new List<SshTransport>();
        await using var sessions = new HostSessions();
        await using (INodeTransport first = await sessions.OpenAsync(Key, () => Connect(logins), CancellationToken.None))
        {
            Assert.Equal(0, (await first.RunAsync("true", [], null, CancellationToken.None)).ExitCode);
        }

        await logins[0].DisposeAsync();  // as when sshd or the host went away
        await using INodeTransport second = await sessions.OpenAsync(Key, () => Connect(logins), CancellationToken.None);

        Assert.Equal(0, (await second.RunAsync("true", [], null, CancellationToken.None)).ExitCode);
        Assert.Equal(2, logins.Count);
        Assert.True(logins[1].IsConnected);
    }

    [Fact]
    public async Task AtMostEightProgramsRunAtOnceOnOneLoginAndTheOthersWaitTheirTurn()
    {
        // Each program marks itself running, prints how many are running as it starts, waits for "go", and
        // unmarks itself before it ends (so before its turn is handed on).
        string directory = Path.Combine(_servers.Scratch, "turns-" + Guid.NewGuid().ToString("N"));
        await _servers.Transport("ssh").RunAsync("mkdir", [directory], null, CancellationToken.None);
        const string Script = """
            touch "$1/run.$$"; ls "$1" | grep -c '^run\.'
            n=0; while [ ! -e "$1/go" ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n + 1)); done
            rm "$1/run.$$"
            """;
        var logins = new List<SshTransport>();
        await using var sessions = new HostSessions();
        INodeTransport lease = await sessions.OpenAsync(Key, () => Connect(logins), CancellationToken.None);

        var programs = Enumerable.Range(0, HostSessions.MaxChannels + 4)
            .Select(_ => lease.RunAsync("sh", ["-c", Script, "sh", directory], new CommandOptions { Timeout = TimeSpan.FromSeconds(60) }, CancellationToken.None))
            .ToList();
        Assert.True(await Polling.UntilAsync(async () => await Running(directory) == HostSessions.MaxChannels, TimeSpan.FromSeconds(30)), "eight programs did not all start");
        Assert.Equal(HostSessions.MaxChannels, await Running(directory));  // the other four wait for a turn
        await _servers.Transport("ssh").RunAsync("touch", [Path.Combine(directory, "go")], null, CancellationToken.None);
        CommandResult[] results = await Task.WhenAll(programs);

        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        Assert.All(results, r => Assert.InRange(int.Parse(r.StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture), 1, HostSessions.MaxChannels));
        Assert.Single(logins);
    }

    private async Task<int> Running(string directory)
    {
        CommandResult listing = await _servers.Transport("local").RunAsync("ls", [directory], null, CancellationToken.None);
        return listing.StandardOutput.Split('\n').Count(name => name.StartsWith("run.", StringComparison.Ordinal));
    }

    private async Task<INodeTransport> Connect(List<SshTransport> logins)
    {
        SshTransport transport = await SshTransport.ConnectAsync(_servers.OptionsFor(_servers.TrustedKnownHosts), CancellationToken.None);
        lock (logins)
        {
            logins.Add(transport);
        }
        return transport;
    }
}
