using PgHa.Conninfo;
using PgHa.Operations.Host;

namespace PgHa.Operations.Clone;

/// <summary>
/// What New-PgHaStandby was asked to do. <see cref="KeepOldDirectorySuffix"/> is the monitor's: a former primary
/// that pg_rewind cannot bring back is cloned again with its old directory moved beside the new one, whole (its
/// real path, symbolic links resolved, plus the suffix: a rename on its own filesystem), and its own
/// configuration files put back into the new one; nothing is deleted.
/// </summary>
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
    bool AllowNonEmpty = false,
    string? KeepOldDirectorySuffix = null);
