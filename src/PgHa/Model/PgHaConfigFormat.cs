namespace PgHa;

/// <summary>Which kind of file a node configuration was read from.</summary>
public enum PgHaConfigFormat
{
    /// <summary>A repmgr 5 repmgr.conf (key = value lines), read so existing repmgr nodes can move to PgHa unchanged.</summary>
    Repmgr,

    /// <summary>PgHa's own PowerShell data file (.psd1) holding one hashtable.</summary>
    PgHa,
}
