using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace PgHa.Tests.Hosting;

/// <summary>
/// One hosted PowerShell 7.6 runspace with the built PgHa module imported, shared by the tests of one
/// class (xunit class fixture). Commands run through the real binder, pipeline, ShouldProcess and formatting.
/// </summary>
public sealed class PgHaSession : IDisposable
{
    private readonly object _sync = new();

    public PgHaSession()
    {
        Host = new CapturingHost();
        var state = InitialSessionState.CreateDefault2();
        Runspace = RunspaceFactory.CreateRunspace(Host, state);
        Runspace.Open();
        var import = Run("Import-Module -Name $args[0] -ErrorAction Stop; $PSStyle.OutputRendering = 'PlainText'", RepositoryPaths.ModuleManifest);
        import.ThrowIfErrors();
        Host.TakeOutput();
    }

    public CapturingHost Host { get; }

    public Runspace Runspace { get; }

    /// <summary>
    /// Runs a script; positional arguments are bound to $args. Terminating errors are caught and returned
    /// in <see cref="RunResult.Errors"/> like non-terminating ones, so tests assert on ErrorIds either way.
    /// </summary>
    public RunResult Run(string script, params object?[] args) => RunWith(script, null, args);

    /// <summary>Runs a script with named variables set first (for values that are awkward to pass by position).</summary>
    public RunResult RunWith(string script, IDictionary? variables, params object?[] args) => Invoke(script, variables, args, null);

    private RunResult Invoke(string script, IDictionary? variables, object?[] args, TimeSpan? deadline)
    {
        lock (_sync)
        {
            Host.TakeOutput();
            using var ps = PowerShell.Create();
            ps.Runspace = Runspace;
            if (variables is not null)
            {
                foreach (DictionaryEntry entry in variables)
                {
                    Runspace.SessionStateProxy.SetVariable((string)entry.Key, entry.Value);
                }
            }
            ps.AddScript(script);
            foreach (object? arg in args)
            {
                ps.AddArgument(arg);
            }

            var output = new List<PSObject>();
            var errors = new List<ErrorRecord>();
            try
            {
                if (deadline is { } limit)
                {
                    IAsyncResult running = ps.BeginInvoke();
                    if (!running.AsyncWaitHandle.WaitOne(limit))
                    {
                        ps.Stop();
                        throw new TimeoutException($"'{script}' still ran after {limit.TotalSeconds:0} s; it was stopped.");
                    }
                    output.AddRange(ps.EndInvoke(running));
                }
                else
                {
                    output.AddRange(ps.Invoke());
                }
            }
            catch (RuntimeException ex)
            {
                errors.Add(ex.ErrorRecord);
            }
            errors.InsertRange(0, ps.Streams.Error);
            return new RunResult(output, errors, ps.Streams.Warning.Select(w => w.Message).ToList(),
                ps.Streams.Verbose.Select(v => v.Message).ToList(), Host.TakeOutput());
        }
    }

    /// <summary>
    /// <see cref="RunWith"/> with a deadline, for a command that would otherwise run on (a monitor that starts):
    /// past it the pipeline is stopped and <see cref="TimeoutException"/> thrown.
    /// </summary>
    public RunResult RunWithin(TimeSpan deadline, string script, IDictionary? variables, params object?[] args) =>
        Invoke(script, variables, args, deadline);

    public void Dispose()
    {
        Runspace.Dispose();
    }
}

public sealed record RunResult(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Verbose,
    string HostText)
{
    public IEnumerable<string> ErrorIds => Errors.Select(e => e.FullyQualifiedErrorId);

    public RunResult ThrowIfErrors()
    {
        if (Errors.Count > 0)
        {
            throw new InvalidOperationException("The script failed: " + string.Join(Environment.NewLine,
                Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception?.Message}")));
        }
        return this;
    }

    /// <summary>The single output object's base object, cast to a PgHa type seen through reflection-free dynamic access.</summary>
    public PSObject Single() => Output.Count == 1 ? Output[0] : throw new InvalidOperationException($"Expected one output object, got {Output.Count}.");
}
