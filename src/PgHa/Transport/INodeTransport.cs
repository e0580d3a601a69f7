namespace PgHa.Transport;

/// <summary>
/// How PgHa reaches a node's operating system: run a program, read and write a file, as the
/// PostgreSQL OS user. Local and SSH implementations behave the same, so operations (clone,
/// switchover, rejoin) do not care where the node is.
/// </summary>
public interface INodeTransport : IAsyncDisposable
{
    /// <summary>Where commands run, for messages: "local" or "ssh postgres@host:port".</summary>
    string Description { get; }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> passed exactly as given (no
    /// shell word splitting or expansion). A non-zero exit code is a result, not an exception; a
    /// timeout throws <see cref="TimeoutException"/> and cancellation throws
    /// <see cref="OperationCanceledException"/>, both after trying to stop the program.
    /// </summary>
    Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, CommandOptions? options, CancellationToken cancellationToken);

    /// <summary>The file's text (UTF-8), or null when it does not exist.</summary>
    Task<string?> ReadFileAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the file atomically (a temporary file in the same directory, then rename), owned by
    /// the PostgreSQL OS user with mode 0600 like the files PostgreSQL writes itself.
    /// </summary>
    Task WriteFileAsync(string path, string content, CancellationToken cancellationToken);

    Task<bool> PathExistsAsync(string path, CancellationToken cancellationToken);
}
