namespace PgHa.HelpBuilder;

/// <summary>
/// A help page that cannot be turned into help. Carries the file and line so the build error points
/// at the markdown the author has to fix, not at the converter.
/// </summary>
internal sealed class HelpFormatException : Exception
{
    public HelpFormatException(string file, int line, string reason)
        : base($"{file}({line}): {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    public string File { get; }

    public int Line { get; }

    public string Reason { get; }
}
