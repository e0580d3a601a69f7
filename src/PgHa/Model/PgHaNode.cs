namespace PgHa;

/// <summary>
/// A registered node with what it is doing right now: the columns of `repmgr cluster show` plus WAL
/// positions, lag, attachment to its upstream and warnings. Output of Get-PgHaNode and part of PgHaCluster.
/// </summary>
public sealed class PgHaNode
{
    public int Id { get; init; }

    public string Name { get; init; } = string.Empty;

    /// <summary>The role the node is registered with.</summary>
    public PgHaRole Role { get; init; }

    public PgHaNodeStatus Status { get; init; }

    /// <summary>Name of the registered upstream node (standbys), or null.</summary>
    public string? Upstream { get; init; }

    public int? UpstreamId { get; init; }

    public string Location { get; init; } = string.Empty;

    /// <summary>Promotion priority; 0 means never promote.</summary>
    public int Priority { get; init; }

    /// <summary>The timeline the node is on, when it could be read.</summary>
    public int? Timeline { get; init; }

    /// <summary>The libpq connection string other nodes use to reach this one; never holds a password.</summary>
    public string Conninfo { get; init; } = string.Empty;

    /// <summary>False for a node that was registered and then marked inactive (failed, fenced, replaced).</summary>
    public bool Active { get; init; }

    public string? SlotName { get; init; }

    public string? DataDirectory { get; init; }

    public string? PgBinDir { get; init; }

    /// <summary>The SSH host PgHa reaches the node's OS through; null when PgHa runs on the node's own host.</summary>
    public string? SshHost { get; init; }

    public int? SshPort { get; init; }

    public string? SshUser { get; init; }

    /// <summary>pg_is_in_recovery() as the node answered it; null when unreachable.</summary>
    public bool? InRecovery { get; init; }

    public string? ServerVersion { get; init; }

    /// <summary>The database system identifier (pg_control_system()); all members of one cluster share it.</summary>
    public string? SystemIdentifier { get; init; }

    /// <summary>pg_current_wal_lsn() of a node that is not in recovery.</summary>
    public string? CurrentLsn { get; init; }

    /// <summary>pg_last_wal_receive_lsn() of a standby: the WAL it has received and flushed.</summary>
    public string? ReceiveLsn { get; init; }

    /// <summary>pg_last_wal_replay_lsn() of a standby: the WAL it has applied.</summary>
    public string? ReplayLsn { get; init; }

    /// <summary>Bytes of WAL between the primary's current position and this standby's replay position.</summary>
    public long? ReplayLagBytes { get; init; }

    /// <summary>Seconds since the last replayed transaction when replay is behind the received WAL; 0 when caught up.</summary>
    public double? ReplayLagSeconds { get; init; }

    /// <summary>Whether a standby is streaming from its registered upstream right now.</summary>
    public bool? AttachedToUpstream { get; init; }

    /// <summary>The node the standby actually streams from (by its registered conninfo), when it can be told.</summary>
    public string? StreamingFrom { get; init; }

    /// <summary>Why the node could not be reached, when Status is Unreachable.</summary>
    public string? Error { get; init; }

    /// <summary>Everything inconsistent about this node, in words that say what to do.</summary>
    public string[] Warnings { get; init; } = [];

    public DateTimeOffset CheckedAt { get; init; }

    /// <summary>The conninfo (without password) of the node whose metadata this record came from; later commands use it to reach the cluster.</summary>
    public string MetadataConninfo { get; init; } = string.Empty;

    public override string ToString() => Name;
}
