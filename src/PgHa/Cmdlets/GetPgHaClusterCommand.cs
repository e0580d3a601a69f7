using System.Management.Automation;

namespace PgHa.Cmdlets;

/// <summary>Get-PgHaCluster: the cluster as `repmgr cluster show` shows it, plus WAL positions, lag and warnings.</summary>
[Cmdlet(VerbsCommon.Get, "PgHaCluster")]
[OutputType(typeof(PgHaCluster))]
public sealed class GetPgHaClusterCommand : PgHaCmdlet
{
    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used. Binds from a piped object's Conninfo (a sandbox, a node).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>etcd user and password, for reading the leader key when etcd decides the cluster's elections (etcd with access control on).</summary>
    [Parameter]
    [Credential]
    public PSCredential? EtcdCredential { get; set; }

    protected override void ProcessRecord()
    {
        PgHaCluster cluster = ReadCluster(Conninfo, EtcdCredential);
        // The warnings are in the object (and its view prints them after the table, as repmgr does):
        // writing them to the warning stream too would show every one twice.
        WriteObject(cluster);
    }
}
