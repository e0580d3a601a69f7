using PgHa.Metadata;

namespace PgHa.Operations.Monitor;

/// <summary>What a monitor that won an election writes into its own copy of the node records.</summary>
internal static class PromotionRecords
{
    /// <summary>
    /// The records that change: this node an active primary; every node it replaces inactive, which is the
    /// leader it voted out AND any other node its copy still names the active primary (a chain of failovers
    /// its copy never saw: the node that won the term before, cut off before this node could follow it, is a
    /// standby in this copy while the first primary is still the active one; leaving that one active broke
    /// the record on the one-active-primary constraint, so the cluster never named its new primary); and the
    /// standbys of the replaced nodes re-pointed at this node. Re-pointing is what lets a standby whose monitor
    /// was down during the failover be moved later: it would otherwise keep streaming from the old primary once
    /// that rejoins (cascading through it), which its record still named.
    /// </summary>
    public static IReadOnlyList<NodeRecord> Changed(IReadOnlyList<NodeRecord> nodes, int selfId, int? oldLeaderId)
    {
        NodeRecord self = nodes.Single(n => n.Id == selfId);
        HashSet<int> replaced = nodes
            .Where(n => n.Id != selfId && (n.Id == oldLeaderId || n is { Role: PgHaRole.Primary, Active: true }))
            .Select(n => n.Id)
            .ToHashSet();
        var changed = new List<NodeRecord>();
        foreach (NodeRecord node in nodes.Where(n => n.Id != selfId))
        {
            if (replaced.Contains(node.Id))
            {
                changed.Add(node with { Active = false });
            }
            else if (node.Role == PgHaRole.Standby && node.UpstreamId is { } upstream && replaced.Contains(upstream))
            {
                changed.Add(node with { UpstreamId = selfId });
            }
        }
        changed.Add(self with { Role = PgHaRole.Primary, UpstreamId = null, Active = true });
        return changed;
    }
}
