namespace PgHa.Metadata;

/// <summary>A row of pgha.events, with the name the node had when it was written.</summary>
internal sealed record EventRecord(long Id, int NodeId, string NodeName, string Event, bool Successful, DateTimeOffset Timestamp, string? Details)
{
    /// <summary>The row as Get-PgHaEvent outputs it (and as an event hook's scriptblock receives it).</summary>
    public PgHaEvent ToPgHaEvent() => new()
    {
        Id = Id,
        NodeId = NodeId,
        NodeName = NodeName,
        Event = Event,
        Successful = Successful,
        Timestamp = Timestamp,
        Details = Details,
    };
}
