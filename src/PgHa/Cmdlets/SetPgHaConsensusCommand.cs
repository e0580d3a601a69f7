using System.Management.Automation;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Metadata;
using PgHa.Operations;

namespace PgHa.Cmdlets;

/// <summary>
/// Set-PgHaConsensus: which backend decides the cluster's elections, the built-in quorum or etcd (its endpoints,
/// key prefix and TLS file paths), recorded in the metadata while the monitors are paused. etcd is asked first,
/// with -EtcdCredential, whether the prefix can be read; users and passwords are never recorded.
/// </summary>
[Cmdlet(VerbsCommon.Set, "PgHaConsensus", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PgHaConsensus))]
public sealed class SetPgHaConsensusCommand : PgHaCmdlet
{
    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used. Binds from a piped object's Conninfo (a sandbox, a node).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>BuiltIn (the monitors' own quorum) or Etcd.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public PgHaConsensusBackend Backend { get; set; }

    /// <summary>etcd's client URLs (http://host:2379 or https://...), one per member; commas inside one string are allowed, as etcdctl's --endpoints.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? EtcdEndpoint { get; set; }

    /// <summary>The key prefix of this cluster in etcd; default the one recorded, else /pgha/SYSTEM-IDENTIFIER.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EtcdPrefix { get; set; }

    /// <summary>PEM file of the CA that signed the members' certificates, at the same path on every node.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EtcdCaFile { get; set; }

    /// <summary>PEM client certificate (without CN) for members run with --client-cert-auth, at the same path on every node.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EtcdCertFile { get; set; }

    /// <summary>PEM private key of -EtcdCertFile (omit it when the certificate's file holds the key too).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EtcdKeyFile { get; set; }

    /// <summary>etcd user and password for checking the prefix from here (etcd with access control on); never recorded.</summary>
    [Parameter]
    [Credential]
    public PSCredential? EtcdCredential { get; set; }

    /// <summary>Write the recorded backend (a PgHaConsensus with Changed) to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var entryPoints = EntryPoints(Conninfo);
        ConsensusSettings wanted;
        try
        {
            wanted = Wanted();
        }
        catch (PgHaException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
            return;
        }
        string action = Backend == PgHaConsensusBackend.BuiltIn
            ? "Let the monitors' built-in quorum decide elections"
            : $"Let etcd decide elections: {string.Join(",", wanted.EtcdEndpoints)} under {wanted.EtcdPrefix ?? "the recorded prefix, or /pgha/SYSTEM-IDENTIFIER"}";
        if (!ShouldProcess("the PgHa cluster", action))
        {
            return;
        }
        EtcdAccess access = EtcdAccessSources.FromCredential(NetworkCredentialOf(EtcdCredential));
        try
        {
            PgHaConsensus result = RunEngine(context => ConsensusChange.SetAsync(context, entryPoints, wanted, access));
            if (PassThru)
            {
                WriteObject(result);
            }
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }

    /// <summary>The record asked for; the etcd parameters belong with -Backend Etcd only.</summary>
    private ConsensusSettings Wanted()
    {
        if (Backend == PgHaConsensusBackend.BuiltIn)
        {
            string[] etcdOnly = new[] { nameof(EtcdEndpoint), nameof(EtcdPrefix), nameof(EtcdCaFile), nameof(EtcdCertFile), nameof(EtcdKeyFile) }
                .Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
            if (etcdOnly.Length > 0)
            {
                throw new PgHaException(PgHaErrorIds.ConsensusInvalid, etcdOnly[0],
                    $"-{string.Join(", -", etcdOnly)} belong with -Backend Etcd. The built-in quorum needs nothing more: leave them out (the etcd settings are cleared from the metadata).");
            }
            return ConsensusSettings.BuiltIn;
        }
        if (EtcdEndpoint is null)
        {
            throw new PgHaException(PgHaErrorIds.ConsensusInvalid, nameof(EtcdEndpoint),
                "-Backend Etcd needs -EtcdEndpoint. Give the client URLs of the etcd members, e.g. -EtcdEndpoint http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379.");
        }
        // No -EtcdPrefix: the engine keeps the recorded one or makes the default from the system identifier.
        return EtcdConsensus.Record(EtcdEndpoint, EtcdPrefix, Resolve(EtcdCaFile), Resolve(EtcdCertFile), Resolve(EtcdKeyFile));
    }

    private string? Resolve(string? path) => path is null ? null : GetUnresolvedProviderPathFromPSPath(path);
}
