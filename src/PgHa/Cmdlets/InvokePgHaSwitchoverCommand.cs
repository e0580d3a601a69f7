using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations.Switchovers;

namespace PgHa.Cmdlets;

/// <summary>
/// Invoke-PgHaSwitchover (repmgr standby switchover): a planned handover from the primary to a standby
/// that promotes only once the standby provably has every WAL byte of the old primary; the old primary
/// rejoins as a standby and the other standbys follow.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "PgHaSwitchover", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(PgHaSwitchover))]
public sealed class InvokePgHaSwitchoverCommand : PgHaRoleChangeCmdlet
{
    /// <summary>Leave the other standbys streaming from the old primary (which is then a standby itself: they cascade).</summary>
    [Parameter]
    public SwitchParameter NoSiblingsFollow { get; set; }

    /// <summary>The most WAL (bytes) the candidate may be behind when the switchover starts; more means a longer outage.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long MaxLagBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The most WAL files waiting to be archived on the primary (when archiving is on).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxArchiveReady { get; set; } = 16;

    /// <summary>Should the old primary not be able to follow the new primary directly, rewind it with pg_rewind instead of leaving it stopped.</summary>
    [Parameter]
    public SwitchParameter ForceRewind { get; set; }

    /// <summary>Seconds for each wait: stopping the old primary, the candidate catching up, the promotion, nodes streaming again.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Wait { get; set; } = 60;

    /// <summary>The monitors are paused for the handover directly, signed with the cluster secret, when one is found ($PgHaClusterSecretFile, $env:PGHA_CLUSTER_SECRET_FILE, ~/.pgha/cluster-secret).</summary>
    private protected override ClusterSecret? ClusterSecretFor() => FindClusterSecret(null);

    protected override void ProcessRecord()
    {
        var (entryPoints, candidate) = TargetNode();
        var wait = TimeSpan.FromSeconds(Wait);
        var options = new SwitchoverOptions(!NoSiblingsFollow, ForceRewind, MaxLagBytes, MaxArchiveReady, wait, wait, wait, wait);
        try
        {
            SwitchoverPlan plan = RunEngine(context => Switchover.PlanAsync(context, entryPoints, candidate, options));
            if (plan.AlreadyPrimary)
            {
                WriteVerbose($"{candidate} already is the primary; nothing to do.");
                WriteObject(new PgHaSwitchover { OldPrimary = plan.OldPrimary.Name, NewPrimary = plan.Candidate.Name, Changed = false });
                return;
            }
            string followers = string.Join(", ", plan.Siblings.Select(s => s.Name).Prepend(plan.OldPrimary.Name));
            if (!ShouldProcess(candidate, $"Switch over from {plan.OldPrimary.Name} to {candidate} (then {followers} follow {candidate})"))
            {
                return;
            }
            SwitchoverOutcome outcome = RunEngine(context => Switchover.ApplyAsync(context, plan));
            WriteObject(outcome.Result);
            if (outcome.RejoinFailure is { } rejoinFailure)
            {
                // The switchover happened (the object above says so); the old primary left behind is an error of its own.
                WriteError(ToErrorRecord(rejoinFailure));
            }
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }
}
