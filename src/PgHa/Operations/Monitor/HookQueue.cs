using System.Threading.Channels;
using PgHa.Core;
using PgHa.Metadata;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Runs a monitor's event hook off its loop: the engine's steps hand committed events to
/// <see cref="Enqueuing"/>, which only queues them, and one task of its own runs the real hook for each, in
/// order. A hook that hangs for its whole timeout (30 s by default) must not hold up the round that checks
/// the primary, follows a new one or records the next event (fault run: a new primary's fence waited 26.6 s
/// behind a hook).
/// </summary>
internal sealed class HookQueue : IAsyncDisposable
{
    private readonly Channel<PgHaEvent> _queue = Channel.CreateUnbounded<PgHaEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly EventHook _hook;
    private readonly OperationContext _context;
    private readonly Task _running;

    /// <param name="hook">The hook the node's configuration or the cmdlet asks for.</param>
    /// <param name="context">Where the hook's warnings go, and the cancellation that ends the queue.</param>
    public HookQueue(EventHook hook, OperationContext context)
    {
        _hook = hook;
        _context = context;
        Enqueuing = new EventHook(null, (e, _) =>
        {
            _queue.Writer.TryWrite(e);
            return Task.CompletedTask;
        }, hook.Events);
        _running = Task.Run(RunAsync);
    }

    /// <summary>The hook to give the engine: same events, runs nothing itself.</summary>
    public EventHook Enqueuing { get; }

    private async Task RunAsync()
    {
        try
        {
            await foreach (PgHaEvent e in _queue.Reader.ReadAllAsync(_context.CancellationToken).ConfigureAwait(false))
            {
                await EventNotifier.RunHookAsync(_context, _hook, e).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The monitor stops; hooks not yet run are dropped (their events are recorded).
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _running.ConfigureAwait(false);
    }
}
