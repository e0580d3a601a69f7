namespace PgHa;

/// <summary>How a server is shut down (pg_ctl stop -m).</summary>
public enum PgHaStopMode
{
    /// <summary>Waits until every client has disconnected, then shuts down cleanly.</summary>
    Smart,

    /// <summary>Disconnects clients, rolls back their transactions and shuts down cleanly with a checkpoint.</summary>
    Fast,

    /// <summary>Aborts all processes without a checkpoint; the next start runs crash recovery.</summary>
    Immediate,
}
