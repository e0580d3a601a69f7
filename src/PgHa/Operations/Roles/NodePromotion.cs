using System.Diagnostics;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations.Roles;

/// <summary>
/// Invoke-PgHaPromote (repmgr standby promote): makes a standby the primary, refusing while the registered
/// primary still answers as a primary (two primaries would both take writes) unless forced; records the
/// change on the new primary and, when asked, moves the old primary's other standbys to the new one.
/// </summary>
internal static class NodePromotion
{
    public const string EventName = "standby_promote";

    /// <summary>Reads the records and checks everything; changes nothing.</summary>
    public static async Task<PromotionPlan> PlanAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, string nodeName, bool force)
    {
        var (nodes, _) = await MetadataReader.ReadNodesAsync(context, entryPoints).ConfigureAwait(false);
        NodeRecord node = NodeRecordLookup.ByName(nodes, nodeName);
        ConnectionInfo nodeConninfo = NodeRecordLookup.ConninfoOf(node);
        NodeProbeResult probe;
        try
        {
            probe = await NodeProbe.ProbeAsync(context, nodeConninfo).ConfigureAwait(false);
        }
        catch (PgHaException ex) when (!NodeConnector.LeavesStateUnknown(ex))
        {
            throw new PgHaException(PgHaErrorIds.PromoteNodeUnreachable, node.Name,
                $"{node.Name} does not answer ({ex.Message}); only a running standby can be promoted. Start it with Start-PgHaNode.", ex);
        }

        if (node.Role == PgHaRole.Primary && node.Active && !probe.InRecovery)
        {
            context.Reporter.Verbose($"{node.Name} already is the registered primary and out of recovery; nothing to promote.");
            return new PromotionPlan(node, nodeConninfo, null, null, false, AlreadyPrimary: true, InRecovery: false, probe.Timeline, []);
        }
        if (node.Role != PgHaRole.Standby || !node.Active)
        {
            throw new PgHaException(PgHaErrorIds.PromoteNotStandby, node.Name,
                $"{node.Name} is registered as an {(node.Active ? "active" : "inactive")} {node.Role.ToString().ToLowerInvariant()}; only an active standby can be promoted.");
        }

        NodeRecord? oldPrimary = NodeRecordLookup.ActivePrimary(nodes);
        bool oldPrimaryRunning = false;
        if (oldPrimary is not null)
        {
            context.Reporter.Verbose($"Checking whether the registered primary {oldPrimary.Name} still runs.");
            try
            {
                NodeProbeResult primaryProbe = await NodeProbe.ProbeAsync(context, NodeRecordLookup.ConninfoOf(oldPrimary)).ConfigureAwait(false);
                oldPrimaryRunning = !primaryProbe.InRecovery;
            }
            catch (PgHaException ex) when (!NodeConnector.LeavesStateUnknown(ex))
            {
                // An unusable conninfo is no proof that the primary is down: that error ends the promotion.
                context.Reporter.Verbose($"{oldPrimary.Name} does not answer: {ex.Message}");
            }
        }
        if (oldPrimaryRunning)
        {
            if (!force)
            {
                throw new PgHaException(PgHaErrorIds.PrimaryStillRunning, node.Name,
                    $"The primary {oldPrimary!.Name} still runs and takes writes: promoting {node.Name} now makes two primaries that both take writes, and one side's writes are lost. " +
                    $"Stop {oldPrimary.Name} first (Stop-PgHaNode), or use Invoke-PgHaSwitchover for a planned change; -AllowDataLoss promotes anyway: the writes the old primary takes from then on are lost when it rejoins.");
            }
            context.Reporter.Warning($"The primary {oldPrimary!.Name} still runs; promoting {node.Name} anyway (-AllowDataLoss). Fence or stop {oldPrimary.Name} now: two primaries take writes.");
        }

        var siblings = oldPrimary is null
            ? []
            : nodes.Where(n => n.Id != node.Id && n.Role == PgHaRole.Standby && n.Active && n.UpstreamId == oldPrimary.Id).ToList();
        return new PromotionPlan(node, nodeConninfo, oldPrimary, NodeRecordLookup.NameOf(nodes, node.UpstreamId), oldPrimaryRunning, AlreadyPrimary: false, probe.InRecovery, probe.Timeline, siblings);
    }

    /// <summary>Promotes, records on the new primary, then (when asked) moves the siblings; returns one result per node changed.</summary>
    public static async Task<IReadOnlyList<PgHaRoleChange>> ApplyAsync(OperationContext context, PromotionPlan plan, bool siblingsFollow, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        NodeRecord node = plan.Node;
        if (plan.AlreadyPrimary)
        {
            return [Result(plan, plan.Timeline, changed: false, clock.Elapsed)];
        }

        int timeline;
        if (plan.InRecovery)
        {
            timeline = await RoleChanges.PromoteAsync(context, node.Name, plan.NodeConninfo, wait).ConfigureAwait(false);
        }
        else
        {
            // Promoted by hand (pg_ctl promote) but still registered as a standby: only the records are behind.
            context.Reporter.Verbose($"{node.Name} already left recovery; recording it as the primary.");
            timeline = plan.Timeline ?? 0;
        }

        NodeRecord promoted = node with { Role = PgHaRole.Primary, UpstreamId = null };
        var changed = new List<NodeRecord>();
        string details = $"{node.Name} promoted to primary on timeline {timeline}";
        if (plan.OldPrimary is { } old)
        {
            // The old primary is gone or fenced: it must not count as a primary again until it rejoins.
            changed.Add(old with { Active = false });
            details += $"; old primary {old.Name} marked inactive{(plan.OldPrimaryRunning ? " although it still ran (-AllowDataLoss)" : string.Empty)}";
        }
        changed.Add(promoted);
        await RoleChanges.RecordAsync(context, plan.NodeConninfo, changed, [(promoted, EventName, true, details)]).ConfigureAwait(false);
        var results = new List<PgHaRoleChange> { Result(plan, timeline, changed: true, clock.Elapsed) };

        if (siblingsFollow)
        {
            foreach (NodeRecord sibling in plan.Siblings)
            {
                PgHaRoleChange? followed = await NodeFollow.FollowNewPrimaryAsync(context, sibling, promoted, plan.NodeConninfo, wait).ConfigureAwait(false);
                if (followed is not null)
                {
                    results.Add(followed);
                }
            }
        }
        else if (plan.Siblings.Count > 0)
        {
            context.Reporter.Warning($"{string.Join(", ", plan.Siblings.Select(s => s.Name))} still follow {plan.OldPrimary!.Name}: point them at {node.Name} with Invoke-PgHaFollow, or promote with -SiblingsFollow.");
        }
        return results;
    }

    private static PgHaRoleChange Result(PromotionPlan plan, int? timeline, bool changed, TimeSpan duration) => new()
    {
        Node = plan.Node.Name,
        Action = "Promote",
        RoleBefore = changed ? PgHaRole.Standby : PgHaRole.Primary,
        RoleAfter = PgHaRole.Primary,
        UpstreamBefore = plan.UpstreamBefore,
        UpstreamAfter = null,
        Timeline = timeline,
        Method = null,
        Duration = duration,
        Changed = changed,
    };
}
