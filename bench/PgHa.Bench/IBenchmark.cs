namespace PgHa.Bench;

/// <summary>One benchmark, run as <c>PgHa.Bench &lt;name&gt;</c>.</summary>
public interface IBenchmark
{
    /// <summary>The subcommand that selects it, e.g. <c>cluster-show</c>.</summary>
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark; returns the process exit code. Cancelled on Ctrl+C / SIGTERM.</summary>
    Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken);
}
