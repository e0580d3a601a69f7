namespace PgHa.Sql;

/// <summary>
/// Quotes SQL string literals for the one kind of statement that cannot take parameters (ALTER SYSTEM).
/// Callers set standard_conforming_strings = on in the same session, so a backslash is only a backslash.
/// </summary>
internal static class SqlLiteral
{
    public static string Quote(string value)
    {
        if (value.Contains('\0'))
        {
            throw new ArgumentException("An SQL literal cannot hold a NUL character.", nameof(value));
        }
        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}
