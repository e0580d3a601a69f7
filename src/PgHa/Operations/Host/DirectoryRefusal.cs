using System.Management.Automation;

namespace PgHa.Operations.Host;

/// <summary>Why the guard will not let a directory be deleted or written: a stable ErrorId, its category, and what to do.</summary>
internal sealed record DirectoryRefusal(string ErrorId, ErrorCategory Category, string Message);
