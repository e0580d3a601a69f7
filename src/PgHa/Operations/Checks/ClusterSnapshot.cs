using PgHa.Metadata;

namespace PgHa.Operations.Checks;

/// <summary>
/// Everything one check run read, at once: the node records, each node's facts (or why it did not
/// answer), the monitors' status and the reachability matrix. The rules only read it, so they are pure.
/// </summary>
internal sealed record ClusterSnapshot
{
    public required IReadOnlyList<NodeRecord> Nodes { get; init; }

    /// <summary>The facts of each node that answered, by node id.</summary>
    public required IReadOnlyDictionary<int, NodeFacts> Facts { get; init; }

    /// <summary>Why a node did not answer, by node id.</summary>
    public required IReadOnlyDictionary<int, string> Errors { get; init; }

    /// <summary>
    /// The nodes whose registered conninfo could not be used (PgHaConninfoInvalid; <see cref="Errors"/> says why):
    /// no connection was tried, so whether their server runs is not known. A conninfo that does not even parse
    /// is told by the record itself (<see cref="RegisteredConninfo"/>).
    /// </summary>
    public IReadOnlySet<int> Unasked { get; init; } = new HashSet<int>();

    /// <summary>Each active node's monitor as it answered (not running: Running false); null when the Monitor check was not asked for.</summary>
    public IReadOnlyDictionary<int, PgHaMonitorStatus>? Monitors { get; init; }

    /// <summary>The cells of the reachability matrix; null when not asked for.</summary>
    public IReadOnlyList<PgHaCheckResult>? Matrix { get; init; }

    public required CheckThresholds Thresholds { get; init; }

    public DateTimeOffset CheckedAt { get; init; }

    public NodeRecord? Primary => Nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active);

    public NodeFacts? PrimaryFacts => Primary is { } primary && Facts.TryGetValue(primary.Id, out NodeFacts? facts) ? facts : null;

    /// <summary>True when the node was not asked because its registered conninfo does not parse or cannot be used.</summary>
    public bool IsUnasked(NodeRecord node) => Unasked.Contains(node.Id) || !RegisteredConninfo.TryParse(node, out _);

    public NodeFacts? FactsOf(NodeRecord node) => Facts.TryGetValue(node.Id, out NodeFacts? facts) ? facts : null;
}
