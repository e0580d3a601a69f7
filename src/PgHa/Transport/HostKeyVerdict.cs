namespace PgHa.Transport;

/// <summary>What known_hosts says about a host and the key it offered.</summary>
internal enum HostKeyVerdict
{
    Trusted,
    Unknown,
    Mismatch,
    Revoked,
}
