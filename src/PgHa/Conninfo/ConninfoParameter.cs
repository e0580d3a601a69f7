namespace PgHa.Conninfo;

/// <summary>
/// One keyword and its value as parsed. <paramref name="SourceText"/> is the token exactly as it was
/// written (keyword=value form only), so untouched parameters are written back as the user wrote them.
/// <paramref name="ValuePosition"/> is the 1-based position of the value, for error messages.
/// </summary>
internal sealed record ConninfoParameter(string Keyword, string Value, string? SourceText = null, int? ValuePosition = null);
