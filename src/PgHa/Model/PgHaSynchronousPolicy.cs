namespace PgHa;

/// <summary>What the primary's monitor does when synchronous_standby_names is set but no synchronous standby is attached.</summary>
public enum PgHaSynchronousPolicy
{
    /// <summary>Writes keep waiting for a synchronous standby, as PostgreSQL makes them; the monitor says so (warning, event, cluster view). No acknowledged write can be lost.</summary>
    Wait,

    /// <summary>After the timeout the monitor sets synchronous_standby_names aside (writes go on, asynchronously), records it, and puts it back when a named standby streams again.</summary>
    Degrade,
}
