using System.Runtime.InteropServices;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Monitor;
using PgHa.Sql;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Failover;

/// <summary>
/// The watch loop's session to the leader (LeaderSession). A check that outlives its deadline is abandoned
/// rather than cancelled, and an open tries again beside an attempt that hangs: after a 1.7 s cut in a CI run,
/// Npgsql's cancellation and TCP's backoff kept the members' checks past the heal until the leader's lease
/// ran out. The first test uses a real PostgreSQL 15; the others the open's race alone.
/// </summary>
public sealed class LeaderSessionTests
{
    private const int SIGSTOP = 19;
    private const int SIGCONT = 18;

    [Fact]
    public async Task ACheckWhoseStatementHangsIsAbandoned_TheNextOpensAFreshSession_AndTheHungOneIsClosedOnceItEnds()
    {
        await using var server = await PostgresServer.InitPrimaryAsync("leader-session");
        // No statement deadline (Npgsql's 30 s): the check's own deadline (the connect timeout, 3 s here so that
        // the checks that must succeed do so on a loaded machine) is what ends it.
        var context = new OperationContext(new SilentReporter(), null, 3, CancellationToken.None);
        var leader = new NodeRecord(1, "node1", PgHaRole.Primary, null, true, "default", 100, server.Conninfo, null, null, null);
        var session = new LeaderSession(context);
        await using var admin = await NodeConnector.OpenAsync(new OperationContext(new SilentReporter(), null, 5, CancellationToken.None), ConnectionInfo.Parse(server.Conninfo), "postgres");

        Assert.True(await session.TakesWritesAsync(leader, CancellationToken.None));
        int hung = Assert.Single(await CheckingBackendsAsync(admin));
        Assert.Equal(0, Kill(hung, SIGSTOP));
        try
        {
            // The stopped backend answers nothing, not even a cancel: the check ends anyway, at its deadline. A
            // cancellation would end it no sooner than 2 s after that (Npgsql's wait for a cancel that got through),
            // which is what the bound tells apart; it is not a measure of speed.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Task<bool> check = session.TakesWritesAsync(leader, CancellationToken.None);
            Assert.Same(check, await Task.WhenAny(check, Task.Delay(TimeSpan.FromSeconds(30))));
            Assert.False(await check);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3 + 1.5), $"The check ended {clock.Elapsed.TotalSeconds:0.00} s after it began: it waited for the stopped backend.");

            Assert.True(await session.TakesWritesAsync(leader, CancellationToken.None), "The check after an abandoned one did not open a session of its own.");
            Assert.Contains(await CheckingBackendsAsync(admin), pid => pid != hung);
        }
        finally
        {
            Kill(hung, SIGCONT);
        }
        // Its statement answers once the backend runs again, and the abandoned session is closed then.
        Assert.True(await Polling.UntilAsync(async () => !(await CheckingBackendsAsync(admin)).Contains(hung), TimeSpan.FromSeconds(15)),
            "The abandoned session was never closed.");
        await session.CloseAsync();
    }

    [Fact]
    public async Task AnOpenThatHangsGetsAnAttemptBesideIt_AndTheLoserIsClosedWhenItOpens()
    {
        var hanging = new TaskCompletionSource<Session>();
        var winner = new Session();
        int calls = 0;
        Task<Session> Open() => ++calls == 1 ? hanging.Task : Task.FromResult(winner);

        Session? opened = await LeaderSession.OpenSoonAsync(Open, Task.Delay(TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.Same(winner, opened);
        Assert.Equal(2, calls);
        Assert.False(winner.Closed.IsCompleted);
        var late = new Session();
        hanging.SetResult(late);
        Assert.Same(late.Closed, await Task.WhenAny(late.Closed, Task.Delay(TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public async Task AnOpenThatFailsIsNotTriedAgainInTheSameCheck()
    {
        int calls = 0;
        Task<Session> Open()
        {
            calls++;
            return Task.FromException<Session>(new PgHaException(PgHaErrorIds.NodeUnreachable, "node1", "Connection refused."));
        }

        Assert.Null(await LeaderSession.OpenSoonAsync(Open, Task.Delay(TimeSpan.FromSeconds(30)), CancellationToken.None));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task AnOpenThatNeverAnswersEndsAtTheDeadline_WithAFreshAttemptEverySpacingUpToTheCap_AndLateOnesAreClosed()
    {
        var pending = new List<TaskCompletionSource<Session>>();
        Task<Session> Open()
        {
            var attempt = new TaskCompletionSource<Session>();
            pending.Add(attempt);
            return attempt.Task;
        }

        Assert.Null(await LeaderSession.OpenSoonAsync(Open, Task.Delay(LeaderSession.AttemptSpacing * (LeaderSession.MaxAttempts + 10)), CancellationToken.None));
        Assert.Equal(LeaderSession.MaxAttempts, pending.Count);
        var late = pending.Select(_ => new Session()).ToList();
        for (int i = 0; i < pending.Count; i++)
        {
            pending[i].SetResult(late[i]);
        }
        Task allClosed = Task.WhenAll(late.Select(s => s.Closed));
        Assert.Same(allClosed, await Task.WhenAny(allClosed, Task.Delay(TimeSpan.FromSeconds(10))));
    }

    /// <summary>Stands in for a session in the race of opens: it only says whether it was closed.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Closed => _closed.Task;

        public ValueTask DisposeAsync()
        {
            _closed.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The backends whose last statement was the watch's check (an attempt that lost the race has none).</summary>
    private static async Task<List<int>> CheckingBackendsAsync(NpgsqlConnection admin)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_is_in_recovery()' AND pid <> pg_backend_pid()", admin);
        var pids = new List<int>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            pids.Add(reader.GetInt32(0));
        }
        return pids;
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
