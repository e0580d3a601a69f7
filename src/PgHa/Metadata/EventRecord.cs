namespace PgHa.Metadata;

/// <summary>A row of pgha.events, with the name the node had when it was written.</summary>
internal sealed record EventRecord(long Id, int NodeId, string NodeName, string Event, bool Successful, DateTimeOffset Timestamp, string? Details);
