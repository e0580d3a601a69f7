namespace PgHa.Tests.Fixtures;

/// <summary>pg_ctl stop -m: smart waits for clients, fast disconnects them, immediate aborts without a checkpoint.</summary>
public enum PostgresShutdownMode
{
    Smart,
    Fast,
    Immediate,
}
