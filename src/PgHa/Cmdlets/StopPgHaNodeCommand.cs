using System.Management.Automation;
using PgHa.Operations.Service;

namespace PgHa.Cmdlets;

/// <summary>
/// Stop-PgHaNode (repmgr node service --action=stop): pg_ctl stop in the chosen mode, waiting until the
/// server is down. Stopping the primary also asks "are you sure" unless -Force is given. A stopped server
/// is left alone (Changed = $false).
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "PgHaNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
[OutputType(typeof(PgHaNodeServiceResult))]
public sealed class StopPgHaNodeCommand : PgHaNodeServiceCmdlet
{
    /// <summary>pg_ctl stop -m: Smart waits for clients, Fast (default) disconnects them, Immediate aborts without a checkpoint.</summary>
    [Parameter]
    public PgHaStopMode Mode { get; set; } = PgHaStopMode.Fast;

    /// <summary>Stop a server that runs as the primary without asking.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override void Process(ServiceTarget target)
    {
        NodeRunState state = ReadState(target);
        if (state.IsRunning)
        {
            bool primary = RunsAsPrimary(target, state);
            string role = primary ? "primary " : string.Empty;
            if (!ShouldProcess(target.Host.Name, $"Stop the {role}PostgreSQL server (mode {Mode}) in {Describe(target)}")
                || (primary && !ConfirmPrimaryOutage(target, Force, "Stopping")))
            {
                return;
            }
        }
        WriteObject(RunEngine(context => NodeService.StopAsync(context, target.Host, Mode, WaitTime)));
    }
}
