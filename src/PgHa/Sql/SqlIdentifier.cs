namespace PgHa.Sql;

/// <summary>Quotes SQL identifiers for the few statements that cannot take parameters (CREATE DATABASE).</summary>
internal static class SqlIdentifier
{
    public static string Quote(string identifier)
    {
        if (string.IsNullOrEmpty(identifier) || identifier.Contains('\0'))
        {
            throw new ArgumentException("An SQL identifier must be non-empty and hold no NUL character.", nameof(identifier));
        }
        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
