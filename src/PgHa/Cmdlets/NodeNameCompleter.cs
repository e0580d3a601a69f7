using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations;

namespace PgHa.Cmdlets;

/// <summary>Completes -Name from the metadata of the cluster named by -Conninfo on the same command line.</summary>
public sealed class NodeNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters["Conninfo"] is not object conninfo)
        {
            return [];
        }
        var texts = conninfo is IEnumerable list and not string ? list.Cast<object>().Select(o => o.ToString() ?? string.Empty) : [conninfo.ToString() ?? string.Empty];
        var entryPoints = new List<ConnectionInfo>();
        foreach (string text in texts)
        {
            if (ConnectionInfo.TryParse(text, out ConnectionInfo? info, out _) && info is not null)
            {
                entryPoints.Add(info);
            }
        }
        if (entryPoints.Count == 0)
        {
            return [];
        }
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            var context = new OperationContext(new SilentReporter(), null, 2, timeout.Token);
            var (nodes, _) = MetadataReader.ReadNodesAsync(context, entryPoints).GetAwaiter().GetResult();
            var pattern = new WildcardPattern(wordToComplete + "*", WildcardOptions.IgnoreCase);
            return nodes.Where(n => pattern.IsMatch(n.Name))
                .Select(n => new CompletionResult(n.Name, n.Name, CompletionResultType.ParameterValue, $"{n.Name} ({n.Role}, id {n.Id})"))
                .ToList();
        }
        catch (Exception ex) when (ex is PgHaException or OperationCanceledException)
        {
            return []; // Completion must never throw at the user.
        }
    }

    private sealed class SilentReporter : IOperationReporter
    {
        public void Verbose(string message) { }
        public void Warning(string message) { }
        public void Progress(string activity, string status, int percentComplete) { }
    }
}
