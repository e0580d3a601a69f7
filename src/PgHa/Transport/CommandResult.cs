namespace PgHa.Transport;

/// <summary>How a program run on a node ended and what it printed (exactly, line endings included).</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;
}
