namespace PgHa.Operations.Checks;

/// <summary>
/// A node's session opened but a check statement got no answer within the statement timeout: its read ends
/// there (the next statement would wait as long), and the node is reported as not answering, with this reason.
/// </summary>
internal sealed class NodeHangsException : Exception
{
    public NodeHangsException(string message, Exception inner) : base(message, inner)
    {
    }
}
