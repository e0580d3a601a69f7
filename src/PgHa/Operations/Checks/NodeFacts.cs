using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations.Checks;

/// <summary>
/// What one session on a node tells the checks: the replication probe plus settings, slots, senders,
/// archive backlog, pg_hba rules, extensions, the node's copy of the metadata and its clock. A part that
/// could not be read is null and its reason is in <see cref="Unreadable"/>, so the check that needs it
/// reports Unknown with that reason instead of the whole node failing.
/// </summary>
internal sealed record NodeFacts
{
    public required NodeProbeResult Probe { get; init; }

    public string? DataDirectory { get; init; }
    public bool WalLogHints { get; init; }
    public bool DataChecksums { get; init; }
    public string ArchiveMode { get; init; } = "off";
    public string SharedPreloadLibraries { get; init; } = string.Empty;

    /// <summary>The node's clock minus this machine's, measured at the middle of the round trip.</summary>
    public TimeSpan ClockOffset { get; init; }

    /// <summary>.ready files in pg_wal/archive_status; null when pg_ls_archive_statusdir() was refused.</summary>
    public int? ArchiveReady { get; init; }
    public long ArchiveFailedCount { get; init; }
    public string? LastFailedWal { get; init; }

    /// <summary>The settings a standby needs at least as high as its primary's, now and after the next restart.</summary>
    public IReadOnlyDictionary<string, SettingValue> StandbySettings { get; init; } = new Dictionary<string, SettingValue>();

    public IReadOnlyList<SlotFacts> Slots { get; init; } = [];

    /// <summary>application_name of each WAL sender's client (pg_stat_replication), with its state.</summary>
    public IReadOnlyList<(string ApplicationName, string? State)> Senders { get; init; } = [];

    /// <summary>Extension versions whose files are on this node's disk (name/version); null when not read.</summary>
    public IReadOnlySet<string>? AvailableExtensions { get; init; }

    /// <summary>Extensions installed in the node's databases: "database: name version" (read on the primary only).</summary>
    public IReadOnlyList<InstalledExtension>? InstalledExtensions { get; init; }

    public IReadOnlyList<HbaRule>? HbaRules { get; init; }

    /// <summary>The node's copy of pgha.nodes; null when it has none or it was not readable.</summary>
    public IReadOnlyList<NodeRecord>? Metadata { get; init; }

    /// <summary>Why a part is null, by part name (archive, settings, hba, extensions, metadata).</summary>
    public IReadOnlyDictionary<string, string> Unreadable { get; init; } = new Dictionary<string, string>();

    public string? WhyUnreadable(string part) => Unreadable.TryGetValue(part, out string? why) ? why : null;

    /// <summary>One replication slot and the WAL it holds back.</summary>
    public sealed record SlotFacts(string Name, string Type, bool Active, string? WalStatus, long? RetainedBytes);

    /// <summary>A setting's value now, and the value it will have after the next restart (pending_restart).</summary>
    public sealed record SettingValue(long Current, long AfterRestart);

    public sealed record InstalledExtension(string Database, string Name, string Version);

    /// <summary>A line of pg_hba_file_rules (the file as it will be after a reload, which is what matters later).</summary>
    public sealed record HbaRule(int Line, string Type, IReadOnlyList<string> Databases, IReadOnlyList<string> Users, string? Address, string? Netmask, string? AuthMethod);
}
