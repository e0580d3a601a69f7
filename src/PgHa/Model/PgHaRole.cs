namespace PgHa;

/// <summary>The role a node is registered with in the PgHa metadata.</summary>
public enum PgHaRole
{
    Primary,
    Standby,
    Witness,
}
