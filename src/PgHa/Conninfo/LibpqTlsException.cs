namespace PgHa.Conninfo;

/// <summary>
/// A TLS setup libpq would refuse (a missing root certificate for verify-ca, a key others can read), or one
/// PgHa cannot honour as strictly as libpq. The message says what to change.
/// </summary>
public sealed class LibpqTlsException : Exception
{
    public LibpqTlsException(string message)
        : base(message)
    {
    }
}
