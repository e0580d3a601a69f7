using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations.Roles;

namespace PgHa.Cmdlets;

/// <summary>
/// Invoke-PgHaPromote (repmgr standby promote): makes a standby the primary. Refuses while the registered
/// primary still runs as a primary unless -AllowDataLoss; -SiblingsFollow moves the old primary's other standbys.
/// -WhatIf stops after the checks.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "PgHaPromote", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = NameSet)]
[OutputType(typeof(PgHaRoleChange))]
public sealed class InvokePgHaPromoteCommand : PgHaRoleChangeCmdlet
{

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
        var (entryPoints, name) = TargetNode();

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
