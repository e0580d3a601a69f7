namespace PgHa.Conninfo;

/// <summary>
/// A libpq connection string (keyword=value or postgresql:// URI) that libpq would refuse.
/// The message names the problem and its position; it never quotes a password or any text that may
/// be part of one.
/// </summary>
public sealed class ConninfoFormatException : FormatException
{
    public ConninfoFormatException(string message, int? position = null)
        : base(position is int p ? $"Invalid connection string: {message} (at position {p})." : $"Invalid connection string: {message}.")
    {
        Position = position;
    }

    /// <summary>1-based character position of the problem in the connection string, when there is one.</summary>
    public int? Position { get; }
}
