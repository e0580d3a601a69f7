namespace PgHa;

/// <summary>
/// One check New-PgHaStandby makes before anything is written (what `repmgr standby clone --dry-run`
/// prints). A failed check carries the ErrorId of the error record the cmdlet writes for it.
/// </summary>
public sealed class PgHaCloneCheck
{
    /// <summary>The standby being cloned.</summary>
    public string Node { get; init; } = string.Empty;

    /// <summary>What was checked: SourceReachable, MajorVersion, WalSenders, ReplicationAccess, ...</summary>
    public string Check { get; init; } = string.Empty;

    public PgHaCheckStatus Status { get; init; }

    public string Message { get; init; } = string.Empty;

    /// <summary>The ErrorId of a failed check (PgHaCloneWalSendersExhausted, ...); null otherwise.</summary>
    public string? ErrorId { get; init; }

    public override string ToString() => $"{Check}: {Status}";
}
