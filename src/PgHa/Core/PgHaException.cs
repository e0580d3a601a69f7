using System.Management.Automation;

namespace PgHa.Core;

/// <summary>
/// A failure the engine can explain: a stable ErrorId (greppable, documented), the PowerShell error
/// category, the object it concerns, and a message that says what to do next. Cmdlets turn it into an
/// ErrorRecord as it is.
/// </summary>
public sealed class PgHaException : Exception
{
    public PgHaException(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    public string ErrorId { get; }

    public ErrorCategory Category { get; }

    public object? Target { get; }
}
