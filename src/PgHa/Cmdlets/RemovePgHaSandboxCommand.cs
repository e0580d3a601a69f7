using System.Management.Automation;
using PgHa.Core;
using PgHa.Operations.Sandbox;

namespace PgHa.Cmdlets;

/// <summary>Remove-PgHaSandbox: stops the servers of a sandbox and deletes its folder, and nothing else.</summary>
[Cmdlet(VerbsCommon.Remove, "PgHaSandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemovePgHaSandboxCommand : PgHaCmdlet
{
    /// <summary>The sandbox folder (or a PgHaSandbox from New-PgHaSandbox, by its Path).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (string item in Path)
        {
            string path = GetUnresolvedProviderPathFromPSPath(item);
            if (!ShouldProcess(path, "Stop the sandbox's servers and delete the folder"))
            {
                continue;
            }
            try
            {
                RunEngine(context => SandboxRemover.RemoveAsync(context, path, context.CancellationToken));
            }
            catch (PgHaException ex)
            {
                WriteError(ToErrorRecord(ex));
            }
        }
    }
}
