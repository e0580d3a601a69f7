using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations;

/// <summary>Reads the node records from the first entry point that answers and holds PgHa metadata.</summary>
internal static class MetadataReader
{
    public static async Task<(IReadOnlyList<NodeRecord> Nodes, ConnectionInfo Source)> ReadNodesAsync(
        OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints)
    {
        return await WithMetadataAsync(context, entryPoints, async store =>
            await store.GetNodesAsync(context.CancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="read"/> against the metadata of the first entry point that works.</summary>
    public static async Task<(T Value, ConnectionInfo Source)> WithMetadataAsync<T>(
        OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, Func<MetadataStore, Task<T>> read)
    {
        if (entryPoints.Count == 0)
        {
            throw new ArgumentException("At least one conninfo is needed to reach the cluster.", nameof(entryPoints));
        }

        PgHaException? last = null;
        foreach (ConnectionInfo entry in entryPoints)
        {
            try
            {
                await using var connection = await NodeConnector.OpenAsync(context, entry, NodeConnector.MetadataDatabaseOf(entry)).ConfigureAwait(false);
                var store = new MetadataStore(connection);
                await store.EnsureReadableAsync(entry.ToDisplayString(), context.CancellationToken).ConfigureAwait(false);
                return (await read(store).ConfigureAwait(false), entry);
            }
            catch (PgHaException ex)
            {
                last = ex;
                if (entryPoints.Count > 1)
                {
                    context.Reporter.Verbose($"{ex.Message} Trying the next conninfo.");
                }
            }
        }
        throw last!;
    }
}
