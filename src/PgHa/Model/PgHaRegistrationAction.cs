namespace PgHa;

public enum PgHaRegistrationAction
{
    Registered,
    Updated,
    Unchanged,
    Unregistered,
}
