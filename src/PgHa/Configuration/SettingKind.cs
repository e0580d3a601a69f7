namespace PgHa.Configuration;

/// <summary>How a setting's text or data value is checked and converted.</summary>
internal enum SettingKind
{
    Integer,
    Boolean,
    Text,
    TextList,
    Failover,
    Choice,
}
