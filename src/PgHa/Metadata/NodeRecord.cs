namespace PgHa.Metadata;

/// <summary>A row of pgha.nodes.</summary>
internal sealed record NodeRecord(
    int Id,
    string Name,
    PgHaRole Role,
    int? UpstreamId,
    bool Active,
    string Location,
    int Priority,
    string Conninfo,
    string? SlotName,
    string? DataDirectory,
    string? PgBinDir,
    string? SshHost = null,
    int? SshPort = null,
    string? SshUser = null,
    int? MonitorPort = null)
{
    /// <summary>True when both records say the same thing (the timestamps aside).</summary>
    public bool SameSettingsAs(NodeRecord other) => this == other;

    /// <summary>The port PgHa's monitor for this node listens on when the record names none.</summary>
    public const int DefaultMonitorPort = 7432;

    /// <summary>Where this node's monitor listens (the port; the address is the host of its conninfo).</summary>
    public int EffectiveMonitorPort => MonitorPort ?? DefaultMonitorPort;
}
