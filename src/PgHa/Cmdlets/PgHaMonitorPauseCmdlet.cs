using System.Management.Automation;
using PgHa.Core;
using PgHa.Operations;
using PgHa.Operations.Monitor;

namespace PgHa.Cmdlets;

/// <summary>What Suspend-PgHaMonitor and Resume-PgHaMonitor share: they differ only in the state they set.</summary>
public abstract class PgHaMonitorPauseCmdlet : PgHaCmdlet
{
    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>Seconds to wait until every running monitor reports the new state.</summary>
    [Parameter]
    [ValidateRange(0, 600)]
    public int Wait { get; set; } = 15;

    /// <summary>The cluster secret's file (mode 0600); by default $PgHaClusterSecretFile, $env:PGHA_CLUSTER_SECRET_FILE, or ~/.pgha/cluster-secret.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SecretFile { get; set; }

    /// <summary>With etcd deciding (Set-PgHaConsensus) and its access control on: the etcd user and password for the pause key under the cluster's prefix. Never logged or stored.</summary>
    [Parameter]
    public PSCredential? EtcdCredential { get; set; }

    /// <summary>The monitors take a direct pause or resume only signed with it; without one the metadata alone carries the new state.</summary>
    private protected override ClusterSecret? ClusterSecretFor() => FindClusterSecret(SecretFile);

    private protected abstract bool Paused { get; }

    protected override void ProcessRecord()
    {
        var entryPoints = EntryPoints(Conninfo);
        if (!ShouldProcess("the PgHa cluster", Paused ? "Pause automatic failover and fencing on every monitor" : "Resume automatic failover and fencing on every monitor"))
        {
            return;
        }
        try
        {
            foreach (PgHaMonitorStatus status in RunEngine(context => MonitorPause.SetAsync(context, entryPoints, Paused, TimeSpan.FromSeconds(Wait),
                EtcdAccessSources.FromCredential(NetworkCredentialOf(EtcdCredential)))))
            {
                WriteObject(status);
            }
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }
}

/// <summary>Suspend-PgHaMonitor (repmgr service pause): no failover and no fencing anywhere until Resume-PgHaMonitor.</summary>
[Cmdlet(VerbsLifecycle.Suspend, "PgHaMonitor", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PgHaMonitorStatus))]
public sealed class SuspendPgHaMonitorCommand : PgHaMonitorPauseCmdlet
{
    private protected override bool Paused => true;
}

/// <summary>Resume-PgHaMonitor (repmgr service unpause).</summary>
[Cmdlet(VerbsLifecycle.Resume, "PgHaMonitor", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PgHaMonitorStatus))]
public sealed class ResumePgHaMonitorCommand : PgHaMonitorPauseCmdlet
{
    private protected override bool Paused => false;
}
