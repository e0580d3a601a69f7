using System.Net;

namespace PgHa.Transport;

/// <summary>
/// Where and how <see cref="SshTransport"/> connects. Secrets (passphrase, password) are kept out of
/// <see cref="ToString"/>, so options can appear in verbose output and error messages.
/// </summary>
public sealed class SshTransportOptions
{
    public required string Host { get; init; }

    public int Port { get; init; } = 22;

    /// <summary>The OS user to log in as: the PostgreSQL OS user (commands and files run as it).</summary>
    public string UserName { get; init; } = LocalTransport.DefaultOsUser;

    /// <summary>An OpenSSH, PEM or PuTTY private key file (ed25519, ecdsa or rsa).</summary>
    public string? PrivateKeyPath { get; init; }

    public string? PrivateKeyPassphrase { get; init; }

    /// <summary>Password login (also answered for keyboard-interactive prompts); its user name wins over <see cref="UserName"/>.</summary>
    public NetworkCredential? Credential { get; init; }

    /// <summary>The known_hosts file the server's host key is checked against; default ~/.ssh/known_hosts.</summary>
    public string? KnownHostsPath { get; init; }

    /// <summary>
    /// Trust a host that known_hosts does not list yet and append its key there (OpenSSH's
    /// StrictHostKeyChecking=accept-new). A host listed with a different key is refused regardless.
    /// </summary>
    public bool AcceptNewHostKey { get; init; }

    /// <summary>TCP connect plus key exchange; short, so one unreachable node costs little.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    internal string EffectiveUserName => string.IsNullOrEmpty(Credential?.UserName) ? UserName : Credential.UserName;

    internal string EffectiveKnownHostsPath => KnownHostsPath
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

    public override string ToString() => Port == 22 ? $"{EffectiveUserName}@{Host}" : $"{EffectiveUserName}@{Host}:{Port}";
}
