using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;

namespace PgHa.Operations;

/// <summary>Reads the event log from any node's metadata copy and applies the filter.</summary>
internal static class EventLogReader
{
    public static async Task<IReadOnlyList<PgHaEvent>> ReadAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, EventFilter filter)
    {
        var (records, _) = await MetadataReader.WithMetadataAsync(context, entryPoints,
            store => store.GetEventsAsync(filter.After, filter.Before, context.CancellationToken)).ConfigureAwait(false);

        IEnumerable<EventRecord> matching = records.Where(e =>
            (filter.NodeIds is null || filter.NodeIds.Contains(e.NodeId))
            && (filter.NodeNames is null || filter.NodeNames.Any(p => p.IsMatch(e.NodeName)))
            && (filter.Events is null || filter.Events.Any(p => p.IsMatch(e.Event)))
            && (filter.Successful is null || filter.Successful == e.Successful));
        if (filter.Limit > 0)
        {
            matching = matching.Take(filter.Limit);
        }
        return matching.Select(e => e.ToPgHaEvent()).ToList();
    }
}
