namespace PgHa.Operations.Monitor;

/// <summary>
/// Everything one round of the monitor decides on, taken at once under the monitor's gate after the round's
/// observations (metadata, local probe, and for a stopped primary the members' terms): <see cref="HaRules"/>
/// reads only this, so a decision never sees half of one observation and half of another.
/// Times are monotonic milliseconds (<see cref="Core.MonotonicClock"/>).
/// </summary>
internal sealed record HaSnapshot
{
    public long NowMs { get; init; }

    public string SelfName { get; init; } = "";

    /// <summary>The leader's name, "(none)" when no leader is known.</summary>
    public string LeaderName { get; init; } = "(none)";

    /// <summary>The node's registered role (Primary, Standby, Witness).</summary>
    public PgHaRole Registered { get; init; }

    public int Priority { get; init; }

    /// <summary>Failover is automatic (not manual).</summary>
    public bool Automatic { get; init; }

    /// <summary>What to do with a primary another node replaced: rejoin it, or keep it fenced.</summary>
    public PgHaStalePrimaryAction StalePrimary { get; init; }

    /// <summary>The server runs (it answered, or pg_ctl says so).</summary>
    public bool ServerRunning { get; init; }

    /// <summary>The server answered this round: true in recovery, false writable; null when it did not answer.</summary>
    public bool? InRecovery { get; init; }

    /// <summary>Since when the server has not run; null while it runs.</summary>
    public long? DownSinceMs { get; init; }

    /// <summary>The monitor fenced the node (standby.signal in place; stopped, or running read-only since).</summary>
    public bool Fenced { get; init; }

    /// <summary>The monitor placed standby.signal while the server was down and it still led its term.</summary>
    public bool SignalPlacedByMe { get; init; }

    public bool Paused { get; init; }

    public long Term { get; init; }

    /// <summary>The node that leads the term, as this member knows it; null when none is known.</summary>
    public int? LeaderId { get; init; }

    /// <summary>This node leads the term.</summary>
    public bool IsLeader { get; init; }

    /// <summary>This member's watch has lost the leader for the detection window (or its monitor said it is down).</summary>
    public bool LeaderFailed { get; init; }

    /// <summary>This member's watch reached the leader moments ago.</summary>
    public bool LeaderVouched { get; init; }

    /// <summary>The watch's last check found the leader writable.</summary>
    public bool LeaderWritable { get; init; }

    /// <summary>The leader changed (a vote, an announcement) less than <see cref="HaRules.FollowAfterLeaderChange"/> ago.</summary>
    public bool LeaderChangedRecently { get; init; }

    /// <summary>A retry delay after a failed role change (follow, rejoin, election) has passed.</summary>
    public bool RoleChangeDue { get; init; }

    /// <summary>How long a stopped primary's server stays down before its monitor fences the data directory.</summary>
    public TimeSpan ConfirmedDownGrace { get; init; }

    /// <summary>Why this monitor neither stands nor votes (the metadata records another consensus), or null.</summary>
    public string? ConsensusRefusal { get; init; }

    /// <summary>This node won its term and its promotion has not finished (an attempt failed, or its outcome was not seen).</summary>
    public bool PromotionPending { get; init; }

    /// <summary>This node won its term but its promotion failed every attempt: it gave the term up and stands aside.</summary>
    public bool GaveUpTerm { get; init; }

    /// <summary>The server answers as writable (and the node is no witness).</summary>
    public bool RunsWritable => ServerRunning && InRecovery == false && Registered != PgHaRole.Witness;
}
