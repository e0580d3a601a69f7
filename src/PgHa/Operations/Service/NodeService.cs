using PgHa.Operations.Host;

namespace PgHa.Operations.Service;

// TEMPORARY stand-in until the service branch lands (same API); replaced at merge.
internal static class NodeService
{
    public static async Task<PgHaNodeServiceResult> StartAsync(OperationContext context, NodeHost node, string? logFile, TimeSpan wait)
    {
        await using var host = await node.OpenAsync(context).ConfigureAwait(false);
        string bin = await PgBinDirectory.ResolveAsync(host, node.PgBinDir, node.DataDirectory, context.CancellationToken).ConfigureAwait(false);
        var result = await host.RunAsync(bin + "/pg_ctl", ["-D", node.DataDirectory, "-l", logFile ?? node.DefaultLogFile, "-w", "-t", ((int)wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture), "start"],
            new Transport.CommandOptions { Timeout = wait + TimeSpan.FromSeconds(5) }, context.CancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new PgHaException("PgHaNodeStartFailed", System.Management.Automation.ErrorCategory.InvalidOperation, node.Name, result.StandardError);
        }
        return new PgHaNodeServiceResult();
    }
}
