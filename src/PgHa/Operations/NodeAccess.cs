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

        SshClientSettings ssh = context.Ssh;
        var options = new SshTransportOptions
        {
            Host = sshHost,
            Port = sshPort ?? 22,
            UserName = sshUser ?? ssh.Credential?.UserName ?? LocalTransport.DefaultOsUser,
            PrivateKeyPath = ssh.KeyFile,
            PrivateKeyPassphrase = ssh.KeyPassphrase,
            Credential = ssh.Credential,
            KnownHostsPath = ssh.KnownHostsFile,
            AcceptNewHostKey = ssh.AcceptNewHostKey,
            ConnectTimeout = TimeSpan.FromSeconds(Math.Max(2, context.ConnectTimeoutSeconds)),
        };
        context.Reporter.Verbose($"Connecting to {nodeName}'s host over SSH ({options}).");
        try
        {
            return await SshTransport.ConnectAsync(options, context.CancellationToken).ConfigureAwait(false);
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
        catch (Exception ex) when (ex is SocketException or SshOperationTimeoutException or SshConnectionException or TimeoutException)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            throw new PgHaException(PgHaErrorIds.SshUnreachable, sshHost,
                $"Cannot reach {nodeName}'s host over SSH ({options}): {ex.Message}. Check that sshd runs there and the port is open.", ex);
        }
    }
}
