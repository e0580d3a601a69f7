namespace PgHa.Metadata;

/// <summary>A row of pgha.events, named by the node's current name, or the name it had when the event was written.</summary>
internal sealed record EventRecord(long Id, int NodeId, string NodeName, string Event, bool Successful, DateTimeOffset Timestamp, string? Details);
