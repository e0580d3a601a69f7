using PgHa.Transport;

namespace PgHa.Core;

/// <summary>
/// One SSH login per node host for the length of one command. A switchover used to log in to the old
/// primary's host six times (its checks, the stop, then the rejoin's plan, guard, configuration and start),
/// 0.1-0.5 s each with SSH.NET's post-quantum key exchange: most of the rejoin's time. Each step still opens
/// and disposes "its" transport as before; what it gets is a lease on the command's one connection, which
/// this class closes when the command ends (the cmdlet's Dispose).
///
/// A connection that dropped (sshd restarted, host rebooted) is replaced by a new login when next asked for;
/// a login that failed is not remembered, so the next step tries again, as it did before. Local transports are
/// not kept: they hold nothing. Monitors do not use this: they run for days and log in as they need to.
/// </summary>
internal sealed class HostSessions : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Task<Shared>> _open = new(StringComparer.Ordinal);
    private readonly List<Task<Shared>> _retired = [];
    private bool _disposed;

    /// <summary>How many logins were made (for tests: that steps share them).</summary>
    public int Logins { get; private set; }

    /// <summary>
    /// A lease on the connection to <paramref name="key"/> (user@host:port), logging in with
    /// <paramref name="connect"/> when there is none or it dropped. Disposing the lease leaves the connection open.
    /// </summary>
    public async Task<INodeTransport> OpenAsync(string key, Func<Task<INodeTransport>> connect, CancellationToken cancellationToken)
    {
        Task<Shared> opening;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_open.TryGetValue(key, out opening!) || Dropped(opening))
            {
                if (opening is not null)
                {
                    _retired.Add(opening);
                }
                // Run apart: the login's synchronous start (reading known_hosts and the key) stays out of the lock.
                opening = Task.Run(async () => new Shared(await connect().ConfigureAwait(false)), CancellationToken.None);
                _open[key] = opening;
                Logins++;
            }
        }
        try
        {
            return new Lease(await opening.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
        catch when (!cancellationToken.IsCancellationRequested)
        {
            // A failed login is not kept: the next step logs in again (and reports its own failure).
            lock (_gate)
            {
                if (_open.TryGetValue(key, out Task<Shared>? current) && current == opening)
                {
                    _open.Remove(key);
                }
            }
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Task<Shared>> all;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            all = [.. _open.Values, .. _retired];
            _open.Clear();
            _retired.Clear();
        }
        foreach (Task<Shared> opening in all)
        {
            try
            {
                await (await opening.ConfigureAwait(false)).Transport.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A login that failed has nothing to close; one that cannot be closed cleanly is dropped anyway.
            }
        }
    }

    /// <summary>A login that failed or was cancelled, or a session that is no longer up.</summary>
    private static bool Dropped(Task<Shared> opening) =>
        opening.IsFaulted || opening.IsCanceled || (opening.IsCompletedSuccessfully && opening.Result.Transport is SshTransport { IsConnected: false });

    /// <summary>
    /// The connection as a step sees it: everything but closing it. Steps that used to have a login each now
    /// share one, and sshd allows 10 channels per login (MaxSessions): at most <see cref="MaxChannels"/>
    /// programs run on it at once, the others wait their turn.
    /// </summary>
    private sealed class Lease(Shared shared) : INodeTransport
    {
        public string Description => shared.Transport.Description;

        public Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, CommandOptions? options, CancellationToken cancellationToken) =>
            shared.InTurnAsync(t => t.RunAsync(program, arguments, options, cancellationToken), cancellationToken);

        public Task<string?> ReadFileAsync(string path, CancellationToken cancellationToken) =>
            shared.InTurnAsync(t => t.ReadFileAsync(path, cancellationToken), cancellationToken);

        public Task WriteFileAsync(string path, string content, CancellationToken cancellationToken) =>
            shared.InTurnAsync(async t => { await t.WriteFileAsync(path, content, cancellationToken).ConfigureAwait(false); return true; }, cancellationToken);

        public Task<bool> PathExistsAsync(string path, CancellationToken cancellationToken) =>
            shared.InTurnAsync(t => t.PathExistsAsync(path, cancellationToken), cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public override string ToString() => Description;
    }

    /// <summary>Below OpenSSH's default MaxSessions (10), with room for a channel of SSH.NET's own.</summary>
    internal const int MaxChannels = 8;

    private sealed class Shared(INodeTransport transport)
    {
        private readonly SemaphoreSlim _channels = new(MaxChannels, MaxChannels);

        public INodeTransport Transport => transport;

        public async Task<T> InTurnAsync<T>(Func<INodeTransport, Task<T>> run, CancellationToken cancellationToken)
        {
            await _channels.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await run(transport).ConfigureAwait(false);
            }
            finally
            {
                _channels.Release();
            }
        }
    }
}
