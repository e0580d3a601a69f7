namespace PgHa;

/// <summary>
/// What Start-PgHaNode, Stop-PgHaNode or Restart-PgHaNode did to one node's server: the state before
/// and after, and whether anything changed (a repeated call finds the work done and says Changed = $false).
/// </summary>
public sealed class PgHaNodeServiceResult
{
    /// <summary>The registered node name, or the data directory for a node given by -DataDirectory.</summary>
    public string Node { get; init; } = string.Empty;

    public PgHaServiceAction Action { get; init; }

    /// <summary>The shutdown mode of a stop or restart; null for a start.</summary>
    public PgHaStopMode? Mode { get; init; }

    public bool WasRunning { get; init; }

    public bool IsRunning { get; init; }

    /// <summary>The postmaster's process id on the node's host after the command, when it runs.</summary>
    public int? Pid { get; init; }

    /// <summary>False when the server already was in the requested state and nothing was done.</summary>
    public bool Changed { get; init; }

    /// <summary>How long the command took, waiting included.</summary>
    public TimeSpan Duration { get; init; }

    public string DataDirectory { get; init; } = string.Empty;

    /// <summary>"local", or the SSH host the command ran on.</summary>
    public string Host { get; init; } = "local";

    /// <summary>The file the server's output went to (start and restart); null for a stop.</summary>
    public string? LogFile { get; init; }

    public override string ToString() => $"{Node} {Action}";
}
