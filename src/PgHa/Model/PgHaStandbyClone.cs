namespace PgHa;

/// <summary>What New-PgHaStandby did: where the standby was cloned from and to, how long it took, and what followed.</summary>
public sealed class PgHaStandbyClone
{
    public string Name { get; init; } = string.Empty;

    public string DataDirectory { get; init; } = string.Empty;

    /// <summary>"local" or the SSH host the clone was written on.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>The node cloned from: its registered name, or its conninfo (without password).</summary>
    public string Source { get; init; } = string.Empty;

    /// <summary>The database system identifier the standby now shares with its source.</summary>
    public string SystemIdentifier { get; init; } = string.Empty;

    /// <summary>The primary_conninfo written for the standby (never with a password).</summary>
    public string PrimaryConninfo { get; init; } = string.Empty;

    /// <summary>The replication slot on the upstream the standby uses, when one was asked for.</summary>
    public string? SlotName { get; init; }

    /// <summary>Whether a non-empty directory was replaced (-Force).</summary>
    public bool Replaced { get; init; }

    public long CopiedKilobytes { get; init; }

    /// <summary>Time spent in pg_basebackup.</summary>
    public TimeSpan BackupDuration { get; init; }

    /// <summary>Time for the whole command: checks, copy, configuration, start and registration.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Whether the standby was started (-Start) and seen streaming.</summary>
    public bool Started { get; init; }

    /// <summary>Whether the standby was registered (-Register).</summary>
    public bool Registered { get; init; }

    /// <summary>Where the old contents were kept whole instead of deleted (a monitor's clone of a former primary); null when nothing was kept.</summary>
    public string? KeptDirectory { get; init; }

    /// <summary>The checks made before anything was written.</summary>
    public PgHaCloneCheck[] Checks { get; init; } = [];

    /// <summary>Always true: a clone writes a data directory.</summary>
    public bool Changed { get; init; } = true;

    public override string ToString() => $"{Name} <- {Source}";
}
