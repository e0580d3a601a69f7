namespace PgHa.Configuration;

/// <summary>
/// What reading one configuration file produced. Problems are collected rather than thrown so one run
/// reports every mistake in a file, each as "file:line: what is wrong and what to write instead".
/// </summary>
public sealed class ConfigParseResult
{
    internal ConfigParseResult(PgHaNodeConfig? config, IReadOnlyList<string> warnings, IReadOnlyList<string> errors)
    {
        Config = config;
        Warnings = warnings;
        Errors = errors;
    }

    /// <summary>The configuration; null when there were errors, so a half-read file is never used.</summary>
    public PgHaNodeConfig? Config { get; }

    public IReadOnlyList<string> Warnings { get; }

    public IReadOnlyList<string> Errors { get; }

    public bool Succeeded => Errors.Count == 0;
}
