namespace PgHa.Core;

/// <summary>
/// How engine operations tell the caller what they are doing. Calls can come from any thread; the
/// cmdlet side marshals them to the pipeline thread.
/// </summary>
public interface IOperationReporter
{
    void Verbose(string message);

    void Warning(string message);

    void Progress(string activity, string status, int percentComplete);
}
