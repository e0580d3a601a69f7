namespace PgHa;

/// <summary>What a node is doing right now, compared with its registration (repmgr's Status column).</summary>
public enum PgHaNodeStatus
{
    /// <summary>Reachable and running in its registered role.</summary>
    Running,

    /// <summary>No connection could be made within the connect timeout.</summary>
    Unreachable,

    /// <summary>Registered as a standby but not in recovery: a second writable primary.</summary>
    RunningAsPrimary,

    /// <summary>Registered as the primary but in recovery.</summary>
    RunningAsStandby,
}
