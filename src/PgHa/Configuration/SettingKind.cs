namespace PgHa.Configuration;

/// <summary>How a setting's text or data value is checked and converted.</summary>
internal enum SettingKind
{
    Integer,
    Seconds,
    Boolean,
    Text,
    TextList,
    Failover,
    Choice,
}
