using System.Management.Automation;
using System.Management.Automation.Runspaces;
using PgHa.Run;

// Usage: PgHa.Run <script.ps1> [arguments...]
// Runs the script in a PowerShell 7.6 runspace with output/PgHa/<version>/PgHa.psd1 imported, writing to
// this console as pwsh would. Exit code: 0 when the script ran without a terminating error.
if (args.Length == 0 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: PgHa.Run <script.ps1> [arguments...]");
    return 2;
}

string manifest = ModuleLocator.FindManifest();
var host = new ConsoleHost();
using Runspace runspace = RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());
runspace.Open();
using var ps = PowerShell.Create();
ps.Runspace = runspace;
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    ps.BeginStop(null, null);
};

ps.AddScript("$PSStyle.OutputRendering = 'Host'; Import-Module -Name $args[0] -ErrorAction Stop").AddArgument(manifest);
ps.Invoke();
ps.Commands.Clear();

// Out-Default renders everything through the format views, errors included, as the pwsh console does.
ps.AddCommand(Path.GetFullPath(args[0]));
foreach (string argument in args.Skip(1))
{
    ps.AddArgument(argument);
}
ps.AddCommand("Out-Default");
ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
try
{
    ps.Invoke();
}
catch (RuntimeException ex)
{
    host.UI.WriteErrorLine(ex.ErrorRecord.ToString());
    return 1;
}
return ps.HadErrors && ps.Streams.Error.Count > 0 ? 1 : 0;
