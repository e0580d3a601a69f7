namespace PgHa.Operations.Monitor.Health;

/// <summary>
/// What the monitor knew at the end of one round, published whole (one reference swap) for the HTTP
/// endpoint to read: answers never wait for a database round trip and never see half a round.
/// Times ending in Ms are monotonic milliseconds (<see cref="Core.MonotonicClock"/>) of the monitor's process.
/// </summary>
internal sealed record MonitorSnapshot
{
    public long TakenAtMs { get; init; }

    public DateTimeOffset TakenAt { get; init; }

    public int NodeId { get; init; }

    public string NodeName { get; init; } = "";

    /// <summary>primary, standby, witness, candidate, down, or unknown (running but not answering).</summary>
    public MonitorRole Role { get; init; }

    /// <summary>The server runs (it answered, or pg_ctl status says so).</summary>
    public bool ServerRunning { get; init; }

    /// <summary>The server answered this round and is in recovery; null when it did not answer.</summary>
    public bool? InRecovery { get; init; }

    public bool Fenced { get; init; }

    public bool Paused { get; init; }

    public long Term { get; init; }

    public string? Leader { get; init; }

    /// <summary>This node leads the current term.</summary>
    public bool IsLeader { get; init; }

    /// <summary>
    /// Until when (monotonic ms) this node may take writes: its last majority support plus the fence timeout.
    /// long.MaxValue while paused (a paused primary is never fenced); null when it is not the writable leader.
    /// </summary>
    public long? LeaseExpiresMs { get; init; }

    public int? Timeline { get; init; }

    /// <summary>A standby's WAL receiver streams from the node it should: the primary of the term, or its registered upstream.</summary>
    public bool StreamingFromUpstream { get; init; }

    public string? Upstream { get; init; }

    /// <summary>The sender's end of WAL (as its last message said) minus what this standby replayed.</summary>
    public long? LagBytes { get; init; }

    /// <summary>0 when replay has caught up with what was received; otherwise the age of the last replayed transaction.</summary>
    public double? LagSeconds { get; init; }

    public string? Lsn { get; init; }

    public DateTimeOffset? LastCheckAt { get; init; }

    /// <summary>How long the last round of the monitor's loop took.</summary>
    public double LoopSeconds { get; init; }

    /// <summary>Successful failovers (failover_promote) and switchovers (standby_switchover) in the cluster's event log; null until read.</summary>
    public long? Failovers { get; init; }

    public long? Switchovers { get; init; }

    public PgHaFailoverMode Failover { get; init; }

    public IReadOnlyList<SnapshotMember> Members { get; init; } = [];

    public double AgeSeconds(long nowMs) => Math.Max(0, nowMs - TakenAtMs) / 1000.0;
}
