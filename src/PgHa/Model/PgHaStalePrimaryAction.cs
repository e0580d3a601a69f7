namespace PgHa;

/// <summary>What a monitor does with its node when it finds the node is a former primary that another node has replaced.</summary>
public enum PgHaStalePrimaryAction
{
    /// <summary>Bring it back as a standby of the new primary (pg_rewind where its WAL diverged).</summary>
    Rejoin,

    /// <summary>Keep it stopped and fenced (standby.signal in place) until an operator runs Invoke-PgHaRejoin.</summary>
    Fence,
}
