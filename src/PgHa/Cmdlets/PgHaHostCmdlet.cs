using System.Management.Automation;
using PgHa.Core;

namespace PgHa.Cmdlets;

/// <summary>
/// Base of cmdlets that reach nodes' operating systems (pg_ctl, pg_basebackup, files): this machine's
/// SSH settings. Nodes without an SSH host are worked on locally.
/// </summary>
public abstract class PgHaHostCmdlet : PgHaCmdlet
{
    /// <summary>Private key for SSH logins; by default ~/.ssh/id_ed25519, id_ecdsa or id_rsa.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SshKeyFile { get; set; }

    /// <summary>Password login over SSH instead of a key.</summary>
    [Parameter]
    [Credential]
    public PSCredential? SshCredential { get; set; }

    /// <summary>The known_hosts file that vouches for nodes' host keys; by default ~/.ssh/known_hosts.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KnownHostsFile { get; set; }

    /// <summary>Trust and remember the key of a host that known_hosts does not know yet. A changed key is always refused.</summary>
    [Parameter]
    public SwitchParameter AcceptNewHostKey { get; set; }

    protected override SshClientSettings SshSettings() => new()
    {
        KeyFile = SshKeyFile is null ? null : GetUnresolvedProviderPathFromPSPath(SshKeyFile),
        KnownHostsFile = KnownHostsFile is null ? null : GetUnresolvedProviderPathFromPSPath(KnownHostsFile),
        Credential = SshCredential is null || ReferenceEquals(SshCredential, PSCredential.Empty) ? null : SshCredential.GetNetworkCredential(),
        AcceptNewHostKey = AcceptNewHostKey,
    };
}
