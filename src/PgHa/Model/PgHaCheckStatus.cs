namespace PgHa;

public enum PgHaCheckStatus
{
    Passed,
    Warning,
    Failed,
}
