using Npgsql;
using PgHa.Core;

namespace PgHa.Metadata;

/// <summary>
/// One change of the metadata on the primary: a transaction under the metadata change lock. Events are
/// written through it, and <see cref="CommitAsync"/> hands them to the operation's event hook only once
/// the transaction has committed: a hook that moved a VIP for a change that was then rolled back would
/// be worse than none. Disposing without committing rolls back, and no hook runs.
/// </summary>
internal sealed class MetadataChange : IAsyncDisposable
{
    private readonly OperationContext _context;
    private readonly NpgsqlTransaction _transaction;
    private readonly CancellationToken _cancellationToken;
    private readonly List<EventRecord> _events = [];

    private MetadataChange(OperationContext context, MetadataStore store, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        _context = context;
        Store = store;
        _transaction = transaction;
        _cancellationToken = cancellationToken;
    }

    public MetadataStore Store { get; }

    /// <summary>Begins the transaction on the store's connection and takes the change lock.</summary>
    /// <param name="cancellationToken">For the database work; the operation's token when not given (a failed
    /// clone records its event with CancellationToken.None, to record it even when the clone was stopped).</param>
    public static async Task<MetadataChange> BeginAsync(OperationContext context, MetadataStore store, CancellationToken? cancellationToken = null)
    {
        CancellationToken ct = cancellationToken ?? context.CancellationToken;
        NpgsqlTransaction transaction = await store.Connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        try
        {
            await store.LockAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new MetadataChange(context, store, transaction, ct);
    }

    public async Task AddEventAsync(int nodeId, string nodeName, string eventName, bool successful, string? details) =>
        _events.Add(await Store.AddEventAsync(nodeId, nodeName, eventName, successful, details, _cancellationToken).ConfigureAwait(false));

    /// <summary>Commits, then runs the event hook for each event written (failures of the hook are warnings, never exceptions).</summary>
    public async Task CommitAsync()
    {
        await _transaction.CommitAsync(_cancellationToken).ConfigureAwait(false);
        await EventNotifier.NotifyAsync(_context, _events).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _transaction.DisposeAsync();
}
