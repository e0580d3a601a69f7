using System.Management.Automation;
using PgHa.Core;

namespace PgHa.Cmdlets;

/// <summary>Error records as every PgHa cmdlet writes them: the ErrorId's category comes from <see cref="PgHaErrorIds"/>.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord Of(PgHaException ex) => new(ex, ex.ErrorId, ex.Category, ex.Target);

    /// <summary>For an error whose exception type says something of its own (ItemNotFoundException, IOException, ...).</summary>
    public static ErrorRecord Of(Exception exception, string errorId, object? target) =>
        new(exception, errorId, PgHaErrorIds.CategoryOf(errorId), target);
}
