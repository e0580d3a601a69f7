namespace PgHa;

/// <summary>One node's monitor as Get-PgHaMonitor reports it, asked live over the monitor's own endpoint.</summary>
public sealed class PgHaMonitorStatus
{
    public int NodeId { get; init; }

    public string Name { get; init; } = "";

    /// <summary>Whether the monitor answered at its endpoint.</summary>
    public bool Running { get; init; }

    /// <summary>The monitor's process id on its node.</summary>
    public int? ProcessId { get; init; }

    /// <summary>What the node is, as its monitor sees it: primary, standby, witness, candidate (in an election) or down.</summary>
    public string? Role { get; init; }

    /// <summary>The node's server answers its monitor.</summary>
    public bool? ServerRunning { get; init; }

    /// <summary>The monitor fenced the node (standby.signal in place, server stopped): it can only start read-only.</summary>
    public bool? Fenced { get; init; }

    /// <summary>No failover and no fencing while paused (Suspend-PgHaMonitor).</summary>
    public bool? Paused { get; init; }

    public PgHaFailoverMode? Failover { get; init; }

    /// <summary>The election term the monitor knows; it grows by one with each automatic failover.</summary>
    public long? Term { get; init; }

    /// <summary>The node the monitor takes for the primary.</summary>
    public string? Primary { get; init; }

    /// <summary>When the monitor last reached the primary (itself, for the primary's monitor).</summary>
    public DateTimeOffset? PrimaryLastSeen { get; init; }

    /// <summary>When the monitor last finished its round of checks.</summary>
    public DateTimeOffset? LastCheck { get; init; }

    public int? Priority { get; init; }

    public string? Location { get; init; }

    /// <summary>WAL received (a standby) or written (the primary), as the monitor last saw it.</summary>
    public PgHaLsn? Lsn { get; init; }

    /// <summary>Where the monitor listens (address:port).</summary>
    public string Endpoint { get; init; } = "";

    public DateTimeOffset? StartedAt { get; init; }

    public string? Version { get; init; }

    /// <summary>Which consensus decides the leader for this monitor: "peer quorum" (built in) or "etcd".</summary>
    public string? Consensus { get; init; }

    /// <summary>On the primary that may take writes: seconds left on its lease (renewed about four times a second).</summary>
    public double? LeaseSecondsLeft { get; init; }

    /// <summary>The node won an election moments ago but its promotion failed every attempt: it stands aside (is not elected) for 30 s.</summary>
    public bool StandsAside { get; init; }
}
