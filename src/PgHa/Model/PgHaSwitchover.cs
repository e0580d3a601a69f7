namespace PgHa;

/// <summary>What Invoke-PgHaSwitchover did: who was primary, who is now, the WAL handed over, and how long writes were impossible.</summary>
public sealed class PgHaSwitchover
{
    public string OldPrimary { get; init; } = string.Empty;

    public string NewPrimary { get; init; } = string.Empty;

    /// <summary>The old primary's shutdown checkpoint: every WAL byte up to it was on the new primary before it was promoted.</summary>
    public string? HandedOverLsn { get; init; }

    /// <summary>The new primary's timeline.</summary>
    public int? Timeline { get; init; }

    /// <summary>From the start of the old primary's shutdown to the end of the promotion: no write could be made.</summary>
    public TimeSpan WriteUnavailable { get; init; }

    public TimeSpan Duration { get; init; }

    public PgHaSwitchoverStep[] Steps { get; init; } = [];

    /// <summary>The standbys that now stream from the new primary (the old primary among them).</summary>
    public string[] Following { get; init; } = [];

    /// <summary>
    /// How the old primary came back: Direct (the normal case after a clean handover), Rewind (pg_rewind,
    /// with -ForceRewind), NeedsRewind (left stopped: run Invoke-PgHaRejoin -ForceRewind), Failed (left
    /// as it is: the warning says why); null when nothing changed.
    /// </summary>
    public string? OldPrimaryRejoin { get; init; }

    /// <summary>False when the node asked for already was the primary.</summary>
    public bool Changed { get; init; }

    public override string ToString() => $"{OldPrimary} -> {NewPrimary}";
}
