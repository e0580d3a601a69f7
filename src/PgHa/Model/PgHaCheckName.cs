namespace PgHa;

/// <summary>
/// The checks of Test-PgHaNode (repmgr node check) and Test-PgHaCluster (repmgr cluster crosscheck and
/// matrix, and the drift no anchor checks). A type, so that a monitoring system and a Pester test can
/// name a check without matching free text.
/// </summary>
public enum PgHaCheckName
{
    /// <summary>PgHa can open a session on the node's server.</summary>
    Connection,

    /// <summary>The node runs in the role it is registered with (a primary not in recovery, a standby in recovery).</summary>
    Role,

    /// <summary>A standby's WAL receiver streams from its registered upstream.</summary>
    Upstream,

    /// <summary>A standby's replay lag in seconds (repmgr's replication_lag_warning/critical: 300/600 s).</summary>
    ReplicationLag,

    /// <summary>A standby's replay lag in bytes behind the primary's current WAL position.</summary>
    ReplicationLagBytes,

    /// <summary>WAL files waiting to be archived (.ready in archive_status; repmgr's archive_ready_warning/critical: 16/128).</summary>
    ArchiveBacklog,

    /// <summary>The standbys registered with this node as their upstream are attached to it.</summary>
    DownstreamStandbys,

    /// <summary>Physical replication slots that no standby uses (they keep WAL forever).</summary>
    InactiveSlots,

    /// <summary>The WAL the node's replication slots hold back, against a threshold (the cause of many full disks).</summary>
    SlotRetainedWal,

    /// <summary>Slots that registered standbys of this node are configured to use but that do not exist here.</summary>
    MissingSlots,

    /// <summary>The server's data_directory is the one registered for the node.</summary>
    DataDirectory,

    /// <summary>wal_log_hints or data checksums are on, so pg_rewind can rejoin the node after a failover.</summary>
    RewindReady,

    /// <summary>The node's monitor answers, is not paused or fenced, and agrees with the others on term and primary.</summary>
    Monitor,

    /// <summary>Exactly one data node accepts writes, and it is the registered primary.</summary>
    SinglePrimary,

    /// <summary>The node is a copy of the primary (same system identifier) on the primary's timeline.</summary>
    Timeline,

    /// <summary>The node's copy of the PgHa metadata (node records) agrees with the primary's.</summary>
    Metadata,

    /// <summary>Settings a standby needs at least as high as its primary's (max_connections, max_worker_processes, ...), as they will be after the next restart.</summary>
    StandbySettings,

    /// <summary>shared_preload_libraries is the same as the primary's.</summary>
    PreloadLibraries,

    /// <summary>Every extension version installed in the primary's databases is available on the node's disk.</summary>
    Extensions,

    /// <summary>pg_hba.conf lets every other data node connect for replication (it would stream from this node after a failover).</summary>
    ReplicationHba,

    /// <summary>The node's clock against the primary's.</summary>
    ClockSkew,

    /// <summary>One cell of the matrix: the node's host reaches another node's server (repmgr cluster matrix).</summary>
    Reachability,
}
