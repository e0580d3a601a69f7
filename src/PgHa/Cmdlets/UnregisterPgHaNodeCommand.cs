using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations;

namespace PgHa.Cmdlets;

/// <summary>
/// Unregister-PgHaNode (repmgr primary/standby/witness unregister): removes a node's record. A node that
/// still runs as an active member is only removed with -Force.
/// </summary>
[Cmdlet(VerbsLifecycle.Unregister, "PgHaNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "Name")]
[OutputType(typeof(PgHaNodeRegistration))]
public sealed class UnregisterPgHaNodeCommand : PgHaEventCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name")]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = "Id")]
    public int Id { get; set; }

    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Name")]
    [Parameter(Mandatory = true, ParameterSetName = "Id")]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>A node from Get-PgHaNode; the cluster is reached through the metadata it was read from.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public PgHaNode? InputObject { get; set; }

    /// <summary>Remove the record even while the node runs as an active member or others stream from it.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyList<ConnectionInfo> entryPoints;
        string? name = null;
        int? id = null;
        switch (ParameterSetName)
        {
            case "InputObject":
                entryPoints = EntryPoints([InputObject!.MetadataConninfo]);
                id = InputObject.Id;
                break;
            case "Id":
                entryPoints = EntryPoints(Conninfo);
                id = Id;
                break;
            default:
                entryPoints = EntryPoints(Conninfo);
                name = Name;
                break;
        }

        try
        {
            UnregistrationPlan plan = RunEngine(context => NodeUnregistration.PlanAsync(context, entryPoints, name, id, Force));
            if (!ShouldProcess(plan.Node.Name, $"Unregister {plan.Node.Role.ToString().ToLowerInvariant()} node (id {plan.Node.Id})"))
            {
                return;
            }
            PgHaNodeRegistration result = RunEngine(context => NodeUnregistration.ApplyAsync(context, plan));
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
}
