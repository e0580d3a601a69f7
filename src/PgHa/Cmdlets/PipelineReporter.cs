using System.Collections.Concurrent;
using System.Management.Automation;
using PgHa.Core;

namespace PgHa.Cmdlets;

/// <summary>
/// Collects what the engine reports from any thread and replays it on the pipeline thread, the only
/// thread allowed to call WriteVerbose, WriteWarning and WriteProgress, or to run a scriptblock
/// (an -EventAction, through <see cref="RunOnPipelineThreadAsync"/>).
/// </summary>
internal sealed class PipelineReporter : IOperationReporter
{
    private readonly BlockingCollection<Action<Cmdlet>> _pending = new();
    private readonly int _progressId;

    public PipelineReporter(int progressId) => _progressId = progressId;

    public void Verbose(string message) => Enqueue(cmdlet => cmdlet.WriteVerbose(message));

    public void Warning(string message) => Enqueue(cmdlet => cmdlet.WriteWarning(message));

    /// <summary>
    /// A line for the host, like Write-Host: an information record tagged PSHOST, shown whatever
    /// $InformationPreference says and still capturable with 6>. The monitor's log lines go here.
    /// </summary>
    public void Information(string message) => Enqueue(cmdlet =>
    {
        var record = new InformationRecord(new HostInformationMessage { Message = message }, "PgHa");
        record.Tags.Add("PSHOST");
        cmdlet.WriteInformation(record);
    });

    public void Progress(string activity, string status, int percentComplete) =>
        Enqueue(cmdlet => cmdlet.WriteProgress(new ProgressRecord(_progressId, activity, status)
        {
            PercentComplete = Math.Clamp(percentComplete, -1, 100),
            RecordType = percentComplete >= 100 ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        }));

    /// <summary>
    /// Runs <paramref name="action"/> on the pipeline thread, in turn with the records written there, and
    /// completes when it has run (with its exception, if it threw). A scriptblock may run on no other
    /// thread: the engine awaits this while <see cref="Pump{T}"/> keeps the pipeline thread serving.
    /// </summary>
    public Task RunOnPipelineThreadAsync(Action action)
    {
        // Continuations run on the pool, not inside the pump loop: the engine must not go on on the pipeline thread.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool queued = Enqueue(_ =>
        {
            try
            {
                action();
                done.SetResult();
            }
            catch (Exception ex) // Handed to the engine, which awaits it and decides what a failure means.
            {
                done.SetException(ex);
            }
        });
        if (!queued)
        {
            done.SetException(new InvalidOperationException("The command has finished; nothing can run on its pipeline thread any more."));
        }
        return done.Task;
    }

    /// <summary>Writes everything reported until <paramref name="work"/> ends, then returns its result (or throws its exception).</summary>
    public T Pump<T>(Cmdlet cmdlet, Task<T> work)
    {
        work.ContinueWith(_ => _pending.CompleteAdding(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        foreach (Action<Cmdlet> write in _pending.GetConsumingEnumerable())
        {
            write(cmdlet);
        }
        return work.GetAwaiter().GetResult();
    }

    private bool Enqueue(Action<Cmdlet> write)
    {
        try
        {
            _pending.Add(write);
            return true;
        }
        catch (InvalidOperationException)
        {
            // Reported after the operation ended (a straggling background task): nobody is listening.
            return false;
        }
    }
}
