namespace PgHa.Transport;

/// <summary>
/// known_hosts lists the server with a different key (or lists this key as revoked). Never bypassed
/// automatically: it is what a man-in-the-middle looks like.
/// </summary>
public sealed class SshHostKeyMismatchException : Exception
{
    public SshHostKeyMismatchException(string host, int port, string keyType, string fingerprint, string knownHostsPath, bool revoked)
        : base(revoked
            ? $"The SSH host key {keyType} {fingerprint} offered by {KnownHostsFile.HostName(host, port)} is marked @revoked in {knownHostsPath}. Refusing to connect."
            : $"The SSH host key of {KnownHostsFile.HostName(host, port)} has changed: it offered {keyType} {fingerprint}, which differs from the key in {knownHostsPath}. " +
              "Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled. " +
              $"If the change is expected, remove the old key with: ssh-keygen -R '{KnownHostsFile.HostName(host, port)}' -f '{knownHostsPath}', then trust the new one.")
    {
        Host = host;
        Port = port;
        KeyType = keyType;
        Fingerprint = fingerprint;
        KnownHostsPath = knownHostsPath;
        Revoked = revoked;
    }

    public string Host { get; }

    public int Port { get; }

    public string KeyType { get; }

    /// <summary>"SHA256:…" of the key the server offered.</summary>
    public string Fingerprint { get; }

    public string KnownHostsPath { get; }

    public bool Revoked { get; }
}
