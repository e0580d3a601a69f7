using System.Management.Automation;
using PgHa.Core;

namespace PgHa.Operations.Host;

/// <summary>Why the guard will not let a directory be deleted or written: a stable ErrorId and what to do.</summary>
internal sealed record DirectoryRefusal(string ErrorId, string Message)
{
    public ErrorCategory Category => PgHaErrorIds.CategoryOf(ErrorId);
}
