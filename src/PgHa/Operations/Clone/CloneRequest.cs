using PgHa.Conninfo;
using PgHa.Operations.Host;

namespace PgHa.Operations.Clone;

/// <summary>What New-PgHaStandby was asked to do.</summary>
internal sealed record CloneRequest(
    NodeHost Target,
    ConnectionInfo Source,
    string? SourceName,
    ConnectionInfo? Conninfo,
    string? ReplicationUser,
    bool FastCheckpoint,
    string? SlotName,
    bool Force,
    bool Start,
    bool Register,
    string Location,
    int Priority,
    int? Id,
    TimeSpan Wait,
    IReadOnlyDictionary<string, string> ServerSettings,
    string? MaxRate,
    bool AllowNonEmpty = false);
