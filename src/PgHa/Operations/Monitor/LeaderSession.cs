using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The watch loop's session to the leader's server, kept open between checks: one round trip instead of a new
/// session every second, so that a busy machine does not make a live primary look slow (which would cost it
/// this member's vouching). Only the watch loop uses it.
/// </summary>
/// <remarks>
/// <para>
/// What matters after a short cut is how soon a check reaches the leader again once the network is back: a
/// member that has not seen the leader for <see cref="MonitorSettings.SupportFreshness"/> stops vouching for
/// it, and a leader left without a majority's vouches for its fence timeout fences itself, although every
/// member could reach it again (a 1.7 s cut in a CI run: the leader fenced itself 1.8 s after the heal). Two
/// things here keep a check from carrying the cut past the heal:
/// </para>
/// <list type="bullet">
/// <item>A statement that outlives its deadline is abandoned, not cancelled. Npgsql's cancellation first opens
/// a session to the host to send a cancel request (up to the connect timeout while the host is cut off), and
/// once a cancel got through (the heal came meanwhile) waits up to two seconds for the statement to end, while
/// the old session sits in TCP's retransmission backoff: up to 4 s in all. The abandoned statement ends under the
/// connection's statement deadline, and its session is closed then.</item>
/// <item>An open starts a fresh attempt every <see cref="AttemptSpacing"/> until one succeeds or the deadline
/// passes. A connection attempt whose first packet was dropped is retried by TCP only after a second, which
/// is the whole connect timeout: without the next attempt, a check begun just before the heal would miss it
/// by a second. Attempts that succeed after another one won are closed.</item>
/// </list>
/// </remarks>
internal sealed class LeaderSession
{
    /// <summary>How long an open waits for its attempt before it starts another one beside it.</summary>
    internal static readonly TimeSpan AttemptSpacing = TimeSpan.FromMilliseconds(300);

    /// <summary>At most this many attempts race in one open, whatever the deadline (the connect timeout can be minutes).</summary>
    internal const int MaxAttempts = 4;

    /// <summary>The least a statement is given after a slow open, which would otherwise be thrown away unused.</summary>
    private static readonly TimeSpan LeastStatementTime = TimeSpan.FromMilliseconds(500);

    private readonly OperationContext _context;
    private NpgsqlConnection? _connection;
    private int _nodeId;

    public LeaderSession(OperationContext context) => _context = context;

    /// <summary>Each check's deadline: the connect timeout (the open and the statement share it).</summary>
    private TimeSpan Deadline => TimeSpan.FromSeconds(_context.ConnectTimeoutSeconds);

    /// <summary>
    /// Whether <paramref name="leader"/>'s server answers, within the deadline, as a writable primary. Any
    /// failure (unreachable, refused, too slow, in recovery) is false, and drops the session.
    /// </summary>
    public async Task<bool> TakesWritesAsync(NodeRecord leader, CancellationToken ct)
    {
        long startedMs = MonotonicClock.NowMs;
        try
        {
            if (_connection is null || _nodeId != leader.Id)
            {
                await CloseAsync().ConfigureAwait(false);
                ConnectionInfo conninfo = NodeRecordLookup.ConninfoOf(leader);
                // The whole connect timeout, never less: a network whose sessions take that long to open (set so
                // with -ConnectTimeout) must still be checked, or no member would vouch for its primary. Each attempt
                // ends within about 2 s of its check's deadline, so few are ever open at once.
                _connection = await OpenSoonAsync(() => NodeConnector.OpenAsync(_context, conninfo, NodeConnector.MetadataDatabaseOf(conninfo)), Task.Delay(Deadline, ct), ct).ConfigureAwait(false);
                if (_connection is null)
                {
                    return false;
                }
                _nodeId = leader.Id;
            }
            ct.ThrowIfCancellationRequested();
            NpgsqlConnection connection = _connection;
            TimeSpan left = Deadline - TimeSpan.FromMilliseconds(MonotonicClock.NowMs - startedMs);
            Task<bool> inRecovery = InRecoveryAsync(connection);
            if (await Task.WhenAny(inRecovery, Task.Delay(left > LeastStatementTime ? left : LeastStatementTime, ct)).ConfigureAwait(false) != inRecovery)
            {
                // Past the deadline, or the monitor stops: either way the statement is left to end on its own,
                // and its session is closed then (closing it under the statement would wait for it).
                _connection = null;
                _ = CloseWhenDoneAsync(inRecovery, connection);
                ct.ThrowIfCancellationRequested();
                return false;
            }
            return !await inRecovery.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException or IOException or TimeoutException or InvalidOperationException
            && !ct.IsCancellationRequested)
        {
            await CloseAsync().ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>Closes the session (the leader changed, or the monitor stops).</summary>
    public async Task CloseAsync()
    {
        if (_connection is not null)
        {
            NpgsqlConnection connection = _connection;
            _connection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="open"/>, and once more beside it every <see cref="AttemptSpacing"/> while none has
    /// succeeded or failed (at most <see cref="MaxAttempts"/> in all), until <paramref name="deadline"/>. Returns the first session opened, or null.
    /// Sessions that open after it, or after the deadline, are closed when they do.
    /// </summary>
    internal static async Task<T?> OpenSoonAsync<T>(Func<Task<T>> open, Task deadline, CancellationToken ct)
        where T : class, IAsyncDisposable
    {
        var attempts = new List<Task<T>> { open() };
        var nextAttempt = Task.Delay(AttemptSpacing, ct);
        int started = 1;
        bool oneFailed = false;
        try
        {
            while (attempts.Count > 0)
            {
                // Once an attempt has failed (refused, or an error from the server) no more are started: the
                // server answered, and asking it again at once would not change its answer.
                IEnumerable<Task> waits = attempts.Cast<Task>().Append(deadline);
                bool another = !oneFailed && started < MaxAttempts;
                Task done = await Task.WhenAny(another ? waits.Append(nextAttempt) : waits).ConfigureAwait(false);
                if (done == deadline || done == nextAttempt)
                {
                    ct.ThrowIfCancellationRequested();
                    if (done == deadline)
                    {
                        return null;
                    }
                    attempts.Add(open());
                    started++;
                    nextAttempt = Task.Delay(AttemptSpacing, ct);
                    continue;
                }
                var attempt = (Task<T>)done;
                attempts.Remove(attempt);
                if (attempt.IsCompletedSuccessfully)
                {
                    return attempt.Result;
                }
                _ = attempt.Exception; // observed: why it failed is of no interest here, only that it did
                oneFailed = true;
            }
            return null;
        }
        finally
        {
            foreach (Task<T> attempt in attempts)
            {
                _ = CloseWhenOpenedAsync(attempt);
            }
        }
    }

    private static async Task<bool> InRecoveryAsync(NpgsqlConnection connection)
    {
        // No token: a statement past its deadline is abandoned, never cancelled (see the remarks).
        await using var cmd = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
        return (bool)(await cmd.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>Closes an abandoned check's session once its statement has ended (it must not be closed under it).</summary>
    private static async Task CloseWhenDoneAsync(Task check, NpgsqlConnection connection)
    {
        try
        {
            await check.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            // the outcome of an abandoned check is of no interest: the watch has moved on
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the session of an attempt that lost the race, if it opens at all.</summary>
    private static async Task CloseWhenOpenedAsync<T>(Task<T> attempt)
        where T : IAsyncDisposable
    {
        try
        {
            await (await attempt.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException or IOException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            // it never opened: nothing to close
        }
    }
}
