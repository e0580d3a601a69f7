using System.Management.Automation;

namespace PgHa.Core;

/// <summary>
/// A failure the engine can explain: a stable ErrorId from <see cref="PgHaErrorIds"/> (greppable, documented),
/// its PowerShell error category, the object it concerns, and a message that says what to do next. Cmdlets
/// turn it into an ErrorRecord as it is.
/// </summary>
public sealed class PgHaException : Exception
{
    /// <summary>The usual way: the category is the one <see cref="PgHaErrorIds"/> gives the id.</summary>
    public PgHaException(string errorId, object? target, string message, Exception? inner = null)
        : this(errorId, PgHaErrorIds.CategoryOf(errorId), target, message, inner)
    {
    }

    private PgHaException(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null)
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
