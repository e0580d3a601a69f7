using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations.Roles;

namespace PgHa.Cmdlets;

/// <summary>
/// Invoke-PgHaRejoin (repmgr node rejoin): brings a stopped node, typically a former primary, back as a
/// standby of the primary (or of -Upstream). It decides from pg_control and the upstream's timeline
/// history whether the node can follow directly, needs pg_rewind (-ForceRewind) or must be cloned again;
/// -WhatIf stops after that decision and says which.
/// </summary>
// High: with -ForceRewind, pg_rewind discards the node's diverged changes and rewrites its data directory.
[Cmdlet(VerbsLifecycle.Invoke, "PgHaRejoin", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = NameSet)]
[OutputType(typeof(PgHaRoleChange))]
public sealed class InvokePgHaRejoinCommand : PgHaRoleChangeCmdlet
{

    /// <summary>The registered node to stream from; by default the active primary. A standby makes a cascading standby.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Upstream { get; set; }

    /// <summary>Run pg_rewind when the node diverged from (or may have gone past) the upstream's history.</summary>
    [Parameter]
    public SwitchParameter ForceRewind { get; set; }

    /// <summary>Seconds to wait for pg_rewind, for the server to start, and for it to stream.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Wait { get; set; } = 60;

    protected override void ProcessRecord()
    {
        var (entryPoints, name) = TargetNode();
        var request = new RejoinRequest(entryPoints, name, null, Upstream, ForceRewind, TimeSpan.FromSeconds(Wait));
        try
        {
            RejoinPlan plan = RunEngine(context => NodeRejoin.PlanAsync(context, request));
            string nodeName = plan.Node.Name;
            if (plan.AlreadyDone)
            {
                // A repeated call finds the work done: no confirmation to ask for, Changed = $false.
                WriteVerbose($"{plan.Verdict.Reason} Nothing to do.");
                WriteObject(RunEngine(context => NodeRejoin.ApplyAsync(context, plan)));
                return;
            }
            string action = plan.Verdict.Method switch
            {
                RejoinMethod.Rewind => $"Rewind with pg_rewind from {plan.Upstream.Name}, then rejoin as its standby (Rewind)",
                RejoinMethod.None => $"Record as a standby of {plan.Upstream.Name}, which it already streams from (None)",
                _ => $"Rejoin as a standby of {plan.Upstream.Name} without a rewind (Direct)",
            };
            if (!ShouldProcess($"Performing the operation \"{action}\" on target \"{nodeName}\". {plan.Verdict.Reason}", action + "?", "Invoke-PgHaRejoin", out ShouldProcessReason _))
            {
                return;
            }
            WriteObject(RunEngine(context => NodeRejoin.ApplyAsync(context, plan)));
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }
}
