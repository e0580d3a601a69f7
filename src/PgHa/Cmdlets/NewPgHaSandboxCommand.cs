using System.Management.Automation;
using System.Net;
using PgHa.Core;
using PgHa.Operations.Host;
using PgHa.Operations.Sandbox;

namespace PgHa.Cmdlets;

/// <summary>
/// New-PgHaSandbox: a throwaway cluster of a primary, standbys and an optional witness on loopback
/// addresses, in a folder of its own, made with the same operations a user runs (register, clone, start).
/// </summary>
[Cmdlet(VerbsCommon.New, "PgHaSandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PgHaSandbox))]
public sealed class NewPgHaSandboxCommand : PgHaCmdlet
{
    /// <summary>The folder for the sandbox; by default a new one under the temporary directory. It must be empty or absent.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>How many data nodes (one primary, the rest standbys).</summary>
    [Parameter]
    [ValidateRange(1, 9)]
    public int Nodes { get; set; } = 3;

    /// <summary>Also make a witness: a separate small server that votes and never becomes primary.</summary>
    [Parameter]
    public SwitchParameter Witness { get; set; }

    /// <summary>The first loopback address to try; each node gets its own, counting up from it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string FirstAddress { get; set; } = "127.0.10.1";

    /// <summary>The port every node listens on (each on its own address).</summary>
    [Parameter]
    [ValidateRange(1024, 65535)]
    public int Port { get; set; } = 5432;

    /// <summary>Also start a 3-member etcd on loopback beside the nodes (Debian's /usr/bin/etcd) and let it decide elections.</summary>
    [Parameter]
    public SwitchParameter Etcd { get; set; }

    /// <summary>PostgreSQL's programs; Debian's PostgreSQL 15 by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string PgBinDir { get; set; } = PgBinDirectory.ForMajorVersion(15);

    protected override void EndProcessing()
    {
        if (!IPAddress.TryParse(FirstAddress, out IPAddress? first) || first.GetAddressBytes() is not [127, _, _, _])
        {
            ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.SandboxAddressInvalid, FirstAddress,
                $"-FirstAddress {MessageText.Quote(FirstAddress)} is not an IPv4 loopback address (127.0.0.0/8); a sandbox only ever listens on loopback. Give one such as 127.0.20.1.")));
            return;
        }
        // A blank -Path is a value that went missing on the way (an unset variable in a script), not a folder
        // named with spaces in the current directory.
        if (Path is not null && string.IsNullOrWhiteSpace(Path))
        {
            ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.DirectoryPathInvalid, Path,
                "-Path is blank. Give the sandbox folder's path, or leave -Path out for a new folder under the temporary directory.")));
            return;
        }
        string path = Path is null
            ? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pgha-sandbox-" + Guid.NewGuid().ToString("N")[..8])
            : GetUnresolvedProviderPathFromPSPath(Path);
        string? etcdBinary = null;
        if (Etcd)
        {
            etcdBinary = SandboxEtcd.FindBinary();
            if (etcdBinary is null)
            {
                ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.SandboxEtcdMissing, SandboxEtcd.DebianBinary,
                    $"-Etcd needs etcd, which is neither at {SandboxEtcd.DebianBinary} nor on PATH. Install it (apt-get install etcd-server on Debian), or leave -Etcd out.")));
                return;
            }
        }
        string what = $"{Nodes} node(s){(Witness ? " and a witness" : string.Empty)}{(Etcd ? " and a 3-member etcd" : string.Empty)} on loopback from {FirstAddress}, port {Port}";
        if (!ShouldProcess(path, $"Create a sandbox cluster of {what}"))
        {
            return;
        }
        var request = new SandboxRequest(path, Nodes - 1, Witness, first, Port, PgBinDir.TrimEnd('/'), etcdBinary);
        try
        {
            WriteObject(RunEngine(context => SandboxBuilder.CreateAsync(context, request)));
        }
        catch (PgHaException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
        }
    }
}
