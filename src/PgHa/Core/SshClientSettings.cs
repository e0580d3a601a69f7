using System.Net;

namespace PgHa.Core;

/// <summary>
/// This machine's side of SSH: which key or password to log in with and which known_hosts file vouches
/// for servers. The node side (host, port, user) is part of each node's record.
/// </summary>
public sealed class SshClientSettings
{
    public static SshClientSettings Default { get; } = new();

    /// <summary>Private key file; null tries ~/.ssh/id_ed25519, id_ecdsa and id_rsa.</summary>
    public string? KeyFile { get; init; }

    public string? KeyPassphrase { get; init; }

    /// <summary>Password login instead of a key (the user name comes from the node's record or this credential).</summary>
    public NetworkCredential? Credential { get; init; }

    /// <summary>known_hosts file; null means ~/.ssh/known_hosts.</summary>
    public string? KnownHostsFile { get; init; }

    /// <summary>Trust and remember the key of a host known_hosts does not know yet (never a changed key).</summary>
    public bool AcceptNewHostKey { get; init; }
}
