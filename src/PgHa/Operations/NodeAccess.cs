using System.Net.Sockets;
using PgHa.Core;
using PgHa.Transport;
using Renci.SshNet.Common;

namespace PgHa.Operations;

/// <summary>
/// Opens the way to a node's operating system: over SSH when the node has an SSH host, else on this
/// machine (as the PostgreSQL OS user when PgHa runs as root). SSH failures become PgHaExceptions with
/// their own ErrorIds, because each needs a different fix.
/// </summary>
internal static class NodeAccess
{
    public static async Task<INodeTransport> OpenAsync(OperationContext context, string nodeName, string? sshHost, int? sshPort, string? sshUser)
    {
        if (string.IsNullOrEmpty(sshHost))
        {
            return new LocalTransport();
        }

        if (string.IsNullOrWhiteSpace(sshHost))
        {
            throw new PgHaException(PgHaErrorIds.SshUnreachable, sshHost,
                $"The SSH host of {nodeName} is blank. Give -SshHost the name or address of the machine the node runs on, or leave it out for this machine.");
        }
        SshClientSettings ssh = context.Ssh;
        string? keyFile = ssh.KeyFile ?? (ssh.Credential is null ? DefaultKeyFile() : null);
        if (keyFile is null && ssh.Credential is null)
        {
            throw new PgHaException(PgHaErrorIds.SshAuthenticationFailed, sshHost,
                $"There is no SSH key or password to log in to {nodeName}'s host {MessageText.Quote(sshHost)}: none of {string.Join(", ", DefaultKeyFiles)} exists. " +
                "Give -SshKeyFile (a private key whose public half is in the user's authorized_keys there) or -SshCredential.");
        }
        if (keyFile is not null && !File.Exists(keyFile))
        {
            throw new PgHaException(PgHaErrorIds.SshAuthenticationFailed, keyFile,
                $"There is no SSH key file at {MessageText.Quote(keyFile)}. Give -SshKeyFile the path of the private key for {nodeName}'s host.");
        }
        string userName = sshUser ?? ssh.Credential?.UserName ?? LocalTransport.DefaultOsUser;
        int port = sshPort ?? 22;
        // Within one command, every step on this host shares one login (see HostSessions). That login is not
        // cancelled with the step that started it (other steps may be waiting for it; the connect timeout bounds
        // it): each step stops waiting on its own cancellation.
        return context.Hosts is { } hosts
            ? await hosts.OpenAsync($"{userName}@{sshHost}:{port}", () => ConnectAsync(context, nodeName, sshHost, port, userName, keyFile, CancellationToken.None), context.CancellationToken).ConfigureAwait(false)
            : await ConnectAsync(context, nodeName, sshHost, port, userName, keyFile, context.CancellationToken).ConfigureAwait(false);
    }

    private static async Task<INodeTransport> ConnectAsync(OperationContext context, string nodeName, string sshHost, int port, string userName, string? keyFile,
        CancellationToken cancellationToken)
    {
        SshClientSettings ssh = context.Ssh;
        var options = new SshTransportOptions
        {
            Host = sshHost,
            Port = port,
            UserName = userName,
            PrivateKeyPath = keyFile,
            PrivateKeyPassphrase = ssh.KeyPassphrase,
            Credential = ssh.Credential,
            KnownHostsPath = ssh.KnownHostsFile,
            AcceptNewHostKey = ssh.AcceptNewHostKey,
            ConnectTimeout = TimeSpan.FromSeconds(Math.Max(2, context.ConnectTimeoutSeconds)),
        };
        context.Reporter.Verbose($"Connecting to {nodeName}'s host over SSH ({options}).");
        try
        {
            return await SshTransport.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (SshHostKeyUnknownException ex)
        {
            throw new PgHaException(PgHaErrorIds.SshHostKeyUnknown, sshHost, ex.Message, ex);
        }
        catch (SshHostKeyMismatchException ex)
        {
            throw new PgHaException(PgHaErrorIds.SshHostKeyMismatch, sshHost, ex.Message, ex);
        }
        catch (SshAuthenticationException ex)
        {
            throw new PgHaException(PgHaErrorIds.SshAuthenticationFailed, sshHost,
                $"SSH login to {options} failed: {ex.Message}. Check -SshKeyFile (or ~/.ssh/id_*) and the user's authorized_keys on {sshHost}.", ex);
        }
        catch (Exception ex) when (ex is SocketException or SshOperationTimeoutException or SshConnectionException or TimeoutException
            or ArgumentOutOfRangeException { ParamName: "hostName" })
        {
            // ArgumentOutOfRangeException: .NET refuses a host name over 255 characters before asking DNS.
            cancellationToken.ThrowIfCancellationRequested();
            throw new PgHaException(PgHaErrorIds.SshUnreachable, sshHost,
                MessageText.Shorten($"Cannot reach {nodeName}'s host over SSH ({options}): {ex.Message}. Check that sshd runs there and the port is open."), ex);
        }
        catch (Exception ex) when (ex is SshException or UnauthorizedAccessException)
        {
            // What is left of SSH.NET's exceptions before the login are the key's: encrypted without a
            // passphrase (SshPassPhraseNullOrEmptyException), not a private key, or unreadable.
            throw new PgHaException(PgHaErrorIds.SshAuthenticationFailed, keyFile,
                $"The SSH key {MessageText.Quote(keyFile)} cannot be used: {ex.Message}. Give -SshKeyFile an unencrypted OpenSSH or PEM private key this user may read, or -SshCredential.", ex);
        }
    }

    /// <summary>The keys OpenSSH tries when none is named, in its order.</summary>
    private static readonly string[] DefaultKeyFiles = ["~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"];

    private static string? DefaultKeyFile()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return DefaultKeyFiles.Select(k => Path.Combine(home, k[2..])).FirstOrDefault(File.Exists);
    }
}
