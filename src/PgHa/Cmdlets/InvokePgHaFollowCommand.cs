using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations.Roles;

namespace PgHa.Cmdlets;

/// <summary>
/// Invoke-PgHaFollow (repmgr standby follow): points a running standby at a new upstream (the registered
/// primary by default) after checking that its WAL position lies on the upstream's timeline history.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "PgHaFollow", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = NameSet)]
[OutputType(typeof(PgHaRoleChange))]
public sealed class InvokePgHaFollowCommand : PgHaRoleChangeCmdlet
{

    /// <summary>The registered node to follow (primary or standby); by default the registered primary.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Upstream { get; set; }

    /// <summary>Seconds to wait until the standby streams from its new upstream (and, when a restart is needed, for it).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Wait { get; set; } = 60;

    protected override void ProcessRecord()
    {
        var (entryPoints, name) = TargetNode();

        try
        {
            FollowPlan plan = RunEngine(context => NodeFollow.PlanAsync(context, entryPoints, name, Upstream));
            if (!plan.AlreadyDone
                && !ShouldProcess(name, $"Follow {plan.Upstream.Name} (timeline {plan.UpstreamTimeline}) instead of {plan.UpstreamBefore ?? "its current upstream"}"))
            {
                return;
            }
            WriteObject(RunEngine(context => NodeFollow.ApplyAsync(context, plan, TimeSpan.FromSeconds(Wait))));
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }
}
