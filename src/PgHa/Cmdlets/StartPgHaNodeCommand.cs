using System.Management.Automation;
using PgHa.Operations.Service;

namespace PgHa.Cmdlets;

/// <summary>
/// Start-PgHaNode (repmgr node service --action=start): pg_ctl start on the node's host, waiting until
/// the server accepts connections. A server that already runs is left alone (Changed = $false).
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "PgHaNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
[OutputType(typeof(PgHaNodeServiceResult))]
public sealed class StartPgHaNodeCommand : PgHaNodeServiceCmdlet
{
    /// <summary>The file the server's output goes to (pg_ctl -l); by default &lt;data directory&gt;.log beside the directory.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogFile { get; set; }

    private protected override void Process(ServiceTarget target)
    {
        string? logFile = LogFile is null || target.Host.SshHost is not null ? LogFile : GetUnresolvedProviderPathFromPSPath(LogFile);
        NodeRunState state = ReadState(target);
        if (!state.IsRunning && !ShouldProcess(target.Host.Name, $"Start the PostgreSQL server in {Describe(target)}"))
        {
            return;
        }
        WriteObject(RunEngine(context => NodeService.StartAsync(context, target.Host, logFile, WaitTime)));
    }
}
