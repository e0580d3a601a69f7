using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace PgHa.Bench.Hosting;

/// <summary>
/// A hosted PowerShell 7.6 runspace with the built PgHa module imported (the pattern of the test suite's
/// PgHaSession). Commands go through the real binder and pipeline, as they would in pwsh.
/// </summary>
public sealed class BenchSession : IDisposable
{
    private readonly Runspace _runspace;

    public BenchSession()
    {
        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        _runspace.Open();
        Invoke("Import-Module", new Dictionary<string, object?> { ["Name"] = RepositoryLayout.ModuleManifest, ["ErrorAction"] = "Stop" }, CancellationToken.None);
    }

    /// <summary>
    /// Runs one command with named parameters and returns its output objects. Any error record fails the
    /// call: a benchmark that timed an error would time the wrong thing. Cancellation stops the pipeline.
    /// <paramref name="observeStreams"/> sees the streams before the call starts, so a benchmark can
    /// timestamp progress and verbose records as they arrive (the phases of a long cmdlet).
    /// </summary>
    public IReadOnlyList<PSObject> Invoke(string command, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken,
        Action<PSDataStreams>? observeStreams = null)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddCommand(command);
        foreach (var (name, value) in parameters)
        {
            ps.AddParameter(name, value);
        }
        observeStreams?.Invoke(ps.Streams);
        using var stopOnCancel = cancellationToken.Register(() => ps.BeginStop(null, null));
        Collection<PSObject> output;
        try
        {
            output = ps.Invoke();
        }
        catch (PipelineStoppedException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        // A cmdlet stopped mid-way may also just return what it had (nothing) without an exception.
        cancellationToken.ThrowIfCancellationRequested();
        if (ps.Streams.Error.Count > 0)
        {
            throw new InvalidOperationException($"{command} failed: " + string.Join(Environment.NewLine,
                ps.Streams.Error.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception?.Message}")));
        }
        return output;
    }

    public void Dispose() => _runspace.Dispose();
}
