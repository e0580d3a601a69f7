using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using System.Management.Automation.Host;
using PgHa.Core;
using PgHa.Operations;
using PgHa.Operations.Host;
using PgHa.Operations.Service;

namespace PgHa.Cmdlets;

/// <summary>
/// Base of Start-, Stop- and Restart-PgHaNode: finds the node's server from a piped node, a registered
/// name or a data directory, and runs each node separately, so one failure is one error record and the
/// pipeline goes on with the next node.
/// </summary>
public abstract class PgHaNodeServiceCmdlet : PgHaHostCmdlet
{
    protected const string InputObjectSet = "InputObject";
    protected const string NameSet = "Name";
    protected const string PathSet = "Path";

    // ShouldContinue's "Yes to All" / "No to All" answers hold for the rest of the pipeline.
    private bool _yesToAll;
    private bool _noToAll;

    /// <summary>A node from Get-PgHaNode; its record gives the data directory, bindir and SSH host.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public PgHaNode? InputObject { get; set; }

    /// <summary>Registered node names (exact, no wildcards), looked up in the metadata reached through -Conninfo.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>The data directory on the node's host: a node that is not registered, or a registered one whose record has none.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = InputObjectSet)]
    [Parameter(ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    public string? DataDirectory { get; set; }

    /// <summary>Where pg_ctl is; by default the record's, else /usr/lib/postgresql/&lt;major&gt;/bin.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PgBinDir { get; set; }

    /// <summary>The host to run pg_ctl on over SSH, for -DataDirectory; omit for this machine.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? SshHost { get; set; }

    [Parameter(ParameterSetName = PathSet)]
    [ValidateRange(1, 65535)]
    public int? SshPort { get; set; }

    [Parameter(ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? SshUser { get; set; }

    /// <summary>Seconds to wait for the server to reach the new state (for a restart: to stop, then to start).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Wait { get; set; } = 60;

    protected TimeSpan WaitTime => TimeSpan.FromSeconds(Wait);

    protected override void ProcessRecord()
    {
        foreach (ServiceTarget target in Targets())
        {
            try
            {
                Process(target);
            }
            catch (PgHaException ex)
            {
                WriteError(ToErrorRecord(ex));
            }
        }
    }

    /// <summary>Does the command's work on one node and writes its result.</summary>
    private protected abstract void Process(ServiceTarget target);

    /// <summary>
    /// Whether stopping this running server stops the cluster's writes: the record says it is the
    /// (active) primary or out of recovery, or, for a directory PgHa has no record of, pg_control says
    /// "in production". A witness is a primary of its own database only, so it never counts.
    /// </summary>
    private protected static bool RunsAsPrimary(ServiceTarget target, NodeRunState state)
    {
        if (!state.IsRunning)
        {
            return false;
        }
        if (target.Record is { } record)
        {
            if (record.Role == PgHaRole.Witness)
            {
                return false;
            }
            if ((record.Role == PgHaRole.Primary && record.Active) || record.InRecovery == false)
            {
                return true;
            }
        }
        return state.InProduction;
    }

    /// <summary>
    /// Asks before taking the primary down, on top of ShouldProcess: -Confirm:$false does not answer this
    /// question, -Force does. A host that cannot prompt (non-interactive, hosted) makes it an error that
    /// says to add -Force, never a silent yes.
    /// </summary>
    private protected bool ConfirmPrimaryOutage(ServiceTarget target, bool force, string doing)
    {
        if (force)
        {
            return true;
        }
        string query = $"{target.Host.Name} runs as the primary. {doing} it stops all writes to the cluster until it runs again or a standby is promoted. Continue?";
        try
        {
            return ShouldContinue(query, $"{doing} the primary {target.Host.Name}", ref _yesToAll, ref _noToAll);
        }
        catch (Exception ex) when (ex is not PipelineStoppedException && ex is InvalidOperationException or HostException or NotSupportedException or NotImplementedException)
        {
            throw new PgHaException(PgHaErrorIds.PrimaryConfirmationRequired, target.Host.Name,
                $"{target.Host.Name} runs as the primary: {doing.ToLowerInvariant()} it stops all writes to the cluster, and this host cannot ask for confirmation. Add -Force to do it unattended.", ex);
        }
    }

    private protected NodeRunState ReadState(ServiceTarget target) =>
        RunEngine(context => NodeService.GetStateAsync(context, target.Host));

    private protected static string Describe(ServiceTarget target) =>
        $"'{target.Host.DataDirectory}' on {target.Host.SshHost ?? "this machine"}";

    private IEnumerable<ServiceTarget> Targets()
    {
        switch (ParameterSetName)
        {
            case InputObjectSet:
                if (TryTarget(InputObject!, out ServiceTarget? piped))
                {
                    yield return piped;
                }
                break;

            case NameSet:
                PgHaCluster cluster = ReadCluster(Conninfo);
                foreach (string name in Name)
                {
                    PgHaNode? node = NodeNames.Find(cluster.Nodes, n => n.Name, name);
                    if (node is null)
                    {
                        WriteError(ToErrorRecord(NodeNames.NotFound(name, cluster.Nodes.Select(n => n.Name))));
                    }
                    else if (TryTarget(node, out ServiceTarget? named))
                    {
                        yield return named;
                    }
                }
                break;

            default:
                // A local path may be relative to the current location; a remote one is taken as given.
                string directory = SshHost is null ? GetUnresolvedProviderPathFromPSPath(DataDirectory!) : DataDirectory!;
                yield return new ServiceTarget(new NodeHost(directory, directory, PgBinDir, SshHost, SshPort, SshUser), null);
                break;
        }
    }

    private bool TryTarget(PgHaNode node, [NotNullWhen(true)] out ServiceTarget? target)
    {
        try
        {
            NodeHost host = DataDirectory is null
                ? NodeHost.Of(node)
                : new NodeHost(node.Name, DataDirectory, node.PgBinDir, node.SshHost, node.SshPort, node.SshUser);
            target = new ServiceTarget(PgBinDir is null ? host : host with { PgBinDir = PgBinDir }, node);
            return true;
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
            target = null;
            return false;
        }
    }
}
