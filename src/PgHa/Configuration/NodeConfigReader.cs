namespace PgHa.Configuration;

/// <summary>Reads a node configuration file in either format.</summary>
public static class NodeConfigReader
{
    /// <summary>The format a file is read as unless told otherwise: .psd1 is PgHa's, anything else a repmgr.conf.</summary>
    public static PgHaConfigFormat FormatOf(string path) =>
        string.Equals(Path.GetExtension(path), ".psd1", StringComparison.OrdinalIgnoreCase) ? PgHaConfigFormat.PgHa : PgHaConfigFormat.Repmgr;

    /// <summary>Parses <paramref name="path"/>; I/O exceptions (missing, unreadable) are left to the caller.</summary>
    public static ConfigParseResult ReadFile(string path, PgHaConfigFormat? format = null) =>
        (format ?? FormatOf(path)) == PgHaConfigFormat.PgHa ? PgHaDataFileParser.ParseFile(path) : RepmgrConfParser.ParseFile(path);
}
