namespace PgHa.Transport;

/// <summary>The server's host key is not in known_hosts: trusting it is the caller's explicit decision.</summary>
public sealed class SshHostKeyUnknownException : Exception
{
    public SshHostKeyUnknownException(string host, int port, string keyType, string fingerprint, string knownHostsPath)
        : base($"The SSH host key of {KnownHostsFile.HostName(host, port)} is not known: {keyType} {fingerprint} is not in {knownHostsPath}. " +
               "Check the fingerprint with the host's owner (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), " +
               "then trust it explicitly: accept the new host key (the AcceptNewHostKey switch) or add it with ssh-keyscan.")
    {
        Host = host;
        Port = port;
        KeyType = keyType;
        Fingerprint = fingerprint;
        KnownHostsPath = knownHostsPath;
    }

    public string Host { get; }

    public int Port { get; }

    public string KeyType { get; }

    /// <summary>"SHA256:…" as ssh prints it.</summary>
    public string Fingerprint { get; }

    public string KnownHostsPath { get; }
}
