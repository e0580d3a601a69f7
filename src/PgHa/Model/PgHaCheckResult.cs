namespace PgHa;

/// <summary>
/// One check of one node, as Test-PgHaNode and Test-PgHaCluster report it: what was measured, against which
/// threshold, the verdict, and what to do about it. Numeric checks also carry <see cref="Measure"/>,
/// <see cref="Unit"/> and the two thresholds as numbers, for plugin performance data.
/// </summary>
public sealed class PgHaCheckResult
{
    /// <summary>The node checked; "(cluster)" for a check of the whole cluster (SinglePrimary).</summary>
    public string Node { get; init; } = string.Empty;

    /// <summary>The node's id in the metadata; null for a cluster-wide check.</summary>
    public int? NodeId { get; init; }

    public PgHaCheckName Check { get; init; }

    public PgHaHealthStatus Status { get; init; }

    /// <summary>What was found, as text an operator reads ("12.4 s", "standby", "node3").</summary>
    public string? Value { get; init; }

    /// <summary>What the value was held against ("warn > 300 s, crit > 600 s", "primary").</summary>
    public string? Threshold { get; init; }

    /// <summary>What the finding means and what to do next.</summary>
    public string Message { get; init; } = string.Empty;

    /// <summary>The other node of a pair check (Reachability: the node that was reached, or not).</summary>
    public string? Peer { get; init; }

    /// <summary>The measured number (in <see cref="Unit"/>) of a numeric check; null otherwise.</summary>
    public double? Measure { get; init; }

    /// <summary>Unit of <see cref="Measure"/> and the thresholds: s, B, files, slots, nodes.</summary>
    public string? Unit { get; init; }

    /// <summary>Above this the check is Warning.</summary>
    public double? WarningAbove { get; init; }

    /// <summary>Above this the check is Critical.</summary>
    public double? CriticalAbove { get; init; }

    public DateTimeOffset CheckedAt { get; init; }

    public override string ToString() =>
        $"{Node} {Check}{(Peer is null ? string.Empty : " -> " + Peer)}: {Status}{(Value is null ? string.Empty : $" ({Value})")}";
}
