using PgHa.Operations.Monitor;
using PgHa.Operations.Service;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Failover;

/// <summary>
/// The first step of a local fence, on a real PostgreSQL 15: the server stopped in place (SIGSTOP) while the fence
/// makes standby.signal durable. A session's write must not be acknowledged from the freeze on; after SIGQUIT the
/// server ends without acknowledging it; a fence that fails before SIGQUIT leaves the server as it was.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FrozenServerTests
{
    /// <summary>How long a write on a frozen server is given to prove it is not acknowledged (a bound, not a wait for something).</summary>
    private static readonly TimeSpan NoAnswerWindow = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task AFrozenServerAcknowledgesNothing_AndQuitEndsItWithoutAnAnswer()
    {
        await using var server = await PostgresServer.InitPrimaryAsync("frozen-quit");
        await using var session = await OpenAsync(server);
        int postmaster = server.Pid!.Value;
        int sessionBackend = int.Parse((await session.QueryScalarAsync("SELECT pg_backend_pid()", Timeout))!);
        int[] children;

        using (var frozen = FrozenServer.TryFreeze(postmaster))
        {
            Assert.NotNull(frozen);
            Assert.True(IsStopped(postmaster), "The postmaster is not stopped.");
            Assert.True(frozen.Complete, "The postmaster did not stop within a second.");
            Assert.Contains(sessionBackend, frozen.Children);
            // A child stops once it is next scheduled: on a busy host that may take a moment.
            Assert.True(await Polling.UntilAsync(() => frozen.Children.All(child => IsStopped(child) || !LinuxProcesses.IsAlive(child)), TimeSpan.FromSeconds(10)),
                "Not every child of the postmaster stopped.");
            children = [.. frozen.Children];

            Task write = ExecuteAsync(session, "INSERT INTO fenced VALUES (2)");
            Assert.False(await Completes(write), "The frozen server acknowledged a write.");
            Assert.True(frozen.Quit(), "SIGQUIT could not be queued on the postmaster.");
            frozen.Dispose();
            await Assert.ThrowsAnyAsync<Exception>(() => write); // the session ends, the write unacknowledged
        }

        Assert.True(await Polling.UntilAsync(() => !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(20)), "The postmaster did not end after SIGQUIT.");
        Assert.True(await Polling.UntilAsync(() => children.All(child => !LinuxProcesses.IsAlive(child)), TimeSpan.FromSeconds(20)),
            $"A child of the postmaster outlived it: {string.Join(", ", children.Where(LinuxProcesses.IsAlive))}.");
        // An immediate shutdown, not a crash of a child that the postmaster answers by reinitializing (and running on).
        string log = server.LogTail(200);
        Assert.Contains("received immediate shutdown request", log);
        Assert.DoesNotContain("reinitializing", log);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AServerLeftStoppedByAMonitorThatDiedMidFenceIsFinishedOrLetRun(bool signalInPlace)
    {
        // The monitor was killed between the stop and the SIGQUIT: nothing else would ever let this server run or end it.
        await using var server = await PostgresServer.InitPrimaryAsync(signalInPlace ? "frozen-left-signal" : "frozen-left");
        await using var session = await OpenAsync(server);
        int postmaster = server.Pid!.Value;
        Assert.NotNull(FrozenServer.TryFreeze(postmaster)); // and never released: the monitor is gone
        Assert.Null(FrozenServer.EndLeftOver(Environment.ProcessId, signalInPlace)); // a process that is not stopped is left alone
        Task write = ExecuteAsync(session, "INSERT INTO fenced VALUES (2)");
        Assert.False(await Completes(write), "The frozen server acknowledged a write.");

        string? done = FrozenServer.EndLeftOver(postmaster, signalInPlace);

        Assert.Contains($"postmaster {postmaster} was stopped in place", done);
        if (signalInPlace)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => write);
            Assert.True(await Polling.UntilAsync(() => !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(20)), "The left-over fence was not finished.");
        }
        else
        {
            await write.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("2", await session.QueryScalarAsync("SELECT count(*) FROM fenced", Timeout));
            Assert.False(IsStopped(postmaster), "The postmaster is still stopped.");
        }
    }

    [Fact]
    public async Task AFenceThatStopsHalfWayLetsTheServerRunAsItWas()
    {
        await using var server = await PostgresServer.InitPrimaryAsync("frozen-thaw");
        await using var session = await OpenAsync(server);
        int postmaster = server.Pid!.Value;

        Task write;
        using (var frozen = FrozenServer.TryFreeze(postmaster))
        {
            Assert.NotNull(frozen);
            write = ExecuteAsync(session, "INSERT INTO fenced VALUES (2)");
            Assert.False(await Completes(write), "The frozen server acknowledged a write.");
        } // no Quit: the fence failed before it could stop the server

        await write.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(IsStopped(postmaster), "The postmaster is still stopped.");
        Assert.Equal("2", await session.QueryScalarAsync("SELECT count(*) FROM fenced", Timeout));
        await using var another = await OpenAsync(server); // it still forks backends
        Assert.Equal("2", await another.QueryScalarAsync("SELECT count(*) FROM fenced", Timeout));
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static async Task<WireSession> OpenAsync(PostgresServer server)
    {
        var session = WireSession.OverTcp(server.Address, server.Port, "postgres");
        await ExecuteAsync(session, "CREATE TABLE IF NOT EXISTS fenced (id int)");
        await ExecuteAsync(session, "INSERT INTO fenced SELECT 1 WHERE NOT EXISTS (SELECT FROM fenced)");
        return session;
    }

    private static Task ExecuteAsync(WireSession session, string sql) => session.QueryScalarAsync(sql, Timeout);

    private static async Task<bool> Completes(Task task) => await Task.WhenAny(task, Task.Delay(NoAnswerWindow)) == task;

    private static bool IsStopped(int pid)
    {
        try
        {
            return ProcessStat.IsStopped(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (IOException)
        {
            return false;
        }
    }
}
