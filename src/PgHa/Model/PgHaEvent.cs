namespace PgHa;

/// <summary>One entry of the cluster event log (repmgr's `cluster event`).</summary>
public sealed class PgHaEvent
{
    public long Id { get; init; }

    public int NodeId { get; init; }

    /// <summary>The name the node had when the event was written (ids can be reused after unregistering).</summary>
    public string NodeName { get; init; } = string.Empty;

    /// <summary>The event type, named like repmgr's: primary_register, standby_register, standby_unregister, ...</summary>
    public string Event { get; init; } = string.Empty;

    public bool Successful { get; init; }

    public DateTimeOffset Timestamp { get; init; }

    public string? Details { get; init; }

    public override string ToString() => $"{Timestamp:u} {NodeName} {Event}";
}
