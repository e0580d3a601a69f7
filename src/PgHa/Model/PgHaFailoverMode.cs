namespace PgHa;

/// <summary>Whether the monitor promotes a standby by itself when the primary is lost (repmgr's <c>failover</c>).</summary>
public enum PgHaFailoverMode
{
    /// <summary>The monitor only reports the failure; an operator promotes.</summary>
    Manual,

    /// <summary>The monitor elects and promotes a standby, and the other standbys follow it.</summary>
    Automatic,
}
