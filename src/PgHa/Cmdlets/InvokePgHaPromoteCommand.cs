using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Operations;
using PgHa.Operations.Roles;

namespace PgHa.Cmdlets;

/// <summary>
/// Invoke-PgHaPromote (repmgr standby promote): makes a standby the primary. Refuses while the registered
/// primary still runs as a primary unless -AllowDataLoss; -SiblingsFollow moves the old primary's other standbys.
/// -WhatIf stops after the checks.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "PgHaPromote", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = NameSet)]
[OutputType(typeof(PgHaRoleChange))]
public sealed class InvokePgHaPromoteCommand : PgHaHostCmdlet
{
    private const string InputObjectSet = "InputObject";
    private const string NameSet = "Name";

    /// <summary>The standby to promote, from Get-PgHaNode.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public PgHaNode? InputObject { get; set; }

    /// <summary>The registered name of the standby to promote.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>Point the old primary's other standbys at the new primary.</summary>
    [Parameter]
    public SwitchParameter SiblingsFollow { get; set; }

    /// <summary>Promote even though the registered primary still runs as a primary.</summary>
    [Parameter]
    public SwitchParameter AllowDataLoss { get; set; }

    /// <summary>Seconds to wait for the promotion, and for each sibling to stream from the new primary.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Wait { get; set; } = 60;

    protected override void ProcessRecord()
    {
        IReadOnlyList<ConnectionInfo> entryPoints;
        string name;
        if (ParameterSetName == InputObjectSet)
        {
            // The node's own conninfo comes second: the metadata it was read from may be the stopped primary's.
            entryPoints = EntryPoints([InputObject!.MetadataConninfo, InputObject.Conninfo]);
            name = InputObject.Name;
        }
        else
        {
            entryPoints = EntryPoints(Conninfo);
            name = Name;
        }

        try
        {
            PromotionPlan plan = RunEngine(context => NodePromotion.PlanAsync(context, entryPoints, name, AllowDataLoss));
            if (!plan.AlreadyPrimary)
            {
                string replaces = plan.OldPrimary is null ? string.Empty : $" in place of {plan.OldPrimary.Name}{(plan.OldPrimaryRunning ? " (which still runs)" : string.Empty)}";
                string siblings = SiblingsFollow && plan.Siblings.Count > 0 ? $", then point {string.Join(", ", plan.Siblings.Select(s => s.Name))} at it" : string.Empty;
                if (!ShouldProcess(name, $"Promote standby to primary{replaces}{siblings}"))
                {
                    return;
                }
            }
            foreach (PgHaRoleChange change in RunEngine(context => NodePromotion.ApplyAsync(context, plan, SiblingsFollow, TimeSpan.FromSeconds(Wait))))
            {
                WriteObject(change);
            }
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }
}
