using PgHa.Conninfo;

namespace PgHa.Operations;

/// <summary>What the caller asked Register-PgHaNode to record.</summary>
internal sealed record RegistrationRequest(
    PgHaRole Role,
    ConnectionInfo Conninfo,
    string Name,
    int? Id,
    string Location,
    int Priority,
    string? Upstream,
    string? DataDirectory,
    string? PgBinDir,
    string? SlotName,
    ConnectionInfo? PrimaryConninfo,
    bool Force,
    string? SshHost = null,
    int? SshPort = null,
    string? SshUser = null,
    int? MonitorPort = null);
