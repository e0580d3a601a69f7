namespace PgHa.Operations.Roles;

/// <summary>How a stopped node becomes a standby of its upstream again.</summary>
internal enum RejoinMethod
{
    /// <summary>Its WAL ends on the upstream's history: point it at the upstream and start it.</summary>
    Direct,

    /// <summary>It went past the upstream's fork point (or was not shut down cleanly): pg_rewind first.</summary>
    Rewind,

    /// <summary>It runs and already streams from the upstream on its timeline: nothing to do on the server.</summary>
    None,
}
