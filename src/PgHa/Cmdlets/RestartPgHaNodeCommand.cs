using System.Management.Automation;
using PgHa.Operations.Service;

namespace PgHa.Cmdlets;

/// <summary>
/// Restart-PgHaNode (repmgr node service --action=restart): stops the server in the chosen mode and starts
/// it again (a stopped server is just started). Restarting the primary asks "are you sure" unless -Force.
/// </summary>
[Cmdlet(VerbsLifecycle.Restart, "PgHaNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
[OutputType(typeof(PgHaNodeServiceResult))]
public sealed class RestartPgHaNodeCommand : PgHaNodeServiceCmdlet
{
    /// <summary>pg_ctl stop -m for the stop half: Smart, Fast (default) or Immediate.</summary>
    [Parameter]
    public PgHaStopMode Mode { get; set; } = PgHaStopMode.Fast;

    /// <summary>The file the server's output goes to (pg_ctl -l); by default &lt;data directory&gt;.log beside the directory.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogFile { get; set; }

    /// <summary>Restart a server that runs as the primary without asking.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override void Process(ServiceTarget target)
    {
        string? logFile = LogFile is null || target.Host.SshHost is not null ? LogFile : GetUnresolvedProviderPathFromPSPath(LogFile);
        NodeRunState state = ReadState(target);
        bool primary = RunsAsPrimary(target, state);
        string what = state.IsRunning
            ? $"Restart the {(primary ? "primary " : string.Empty)}PostgreSQL server (stop mode {Mode}) in {Describe(target)}"
            : $"Start the PostgreSQL server (not running) in {Describe(target)}";
        if (!ShouldProcess(target.Host.Name, what) || (primary && !ConfirmPrimaryOutage(target, Force, "Restarting")))
        {
            return;
        }
        WriteObject(RunEngine(context => NodeService.RestartAsync(context, target.Host, Mode, logFile, WaitTime)));
    }
}
