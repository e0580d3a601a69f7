using PgHa.Metadata;

namespace PgHa.Operations.Checks;

/// <summary>The checks of the cluster as a whole (one result, Node "(cluster)"): pure, over a <see cref="ClusterSnapshot"/>.</summary>
internal static class ClusterCheckRules
{
    public const string ClusterNode = "(cluster)";

    /// <summary>Exactly one data node accepts writes, and it is the registered primary.</summary>
    public static PgHaCheckResult SinglePrimary(ClusterSnapshot snapshot)
    {
        var writable = snapshot.Nodes.Where(n => n.Role != PgHaRole.Witness && snapshot.FactsOf(n) is { Probe.InRecovery: false }).ToList();
        NodeRecord? registered = snapshot.Primary;
        string value = writable.Count == 0 ? "none" : string.Join(", ", writable.Select(n => n.Name));
        string threshold = registered?.Name ?? "(none registered)";
        (PgHaHealthStatus status, string message) = writable.Count switch
        {
            0 when registered is not null && snapshot.FactsOf(registered) is null && snapshot.IsUnasked(registered) =>
                (PgHaHealthStatus.Unknown, $"Whether a node accepts writes is not known: the registered primary {registered.Name} was not asked, as its registered conninfo cannot be used (see its Connection check)."),
            0 when registered is not null && snapshot.FactsOf(registered) is null =>
                (PgHaHealthStatus.Critical, $"No node accepts writes: the registered primary {registered.Name} does not answer. Start it (Start-PgHaNode), or promote a standby (Invoke-PgHaPromote) if it is lost."),
            0 => (PgHaHealthStatus.Critical, "No node accepts writes. Promote a standby (Invoke-PgHaPromote), or register the primary (Register-PgHaNode -Role Primary)."),
            1 when writable[0].Id == registered?.Id => (PgHaHealthStatus.Ok, $"{writable[0].Name} is the one node that accepts writes, as registered."),
            1 => (PgHaHealthStatus.Critical,
                $"{writable[0].Name} accepts writes but the registered primary is {threshold}. If it was promoted on purpose, register it (Register-PgHaNode -Role Primary -Force); otherwise stop it and rejoin it (Invoke-PgHaRejoin)."),
            _ => (PgHaHealthStatus.Critical,
                $"{writable.Count} nodes accept writes ({value}): split brain. Stop all but the registered primary {threshold} (Stop-PgHaNode) and rejoin the others as its standbys (Invoke-PgHaRejoin)."),
        };
        return new PgHaCheckResult
        {
            Node = ClusterNode,
            Check = PgHaCheckName.SinglePrimary,
            Status = status,
            Value = value,
            Threshold = threshold,
            Message = message,
            Measure = writable.Count,
            Unit = "nodes",
            WarningAbove = 1,
            CriticalAbove = 1,
            CheckedAt = snapshot.CheckedAt,
        };
    }
}
