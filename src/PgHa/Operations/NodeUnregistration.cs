using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations;

/// <summary>
/// Unregister-PgHaNode's engine. A node that still runs as an active member (a streaming standby, a
/// writable primary, a running witness) or that other nodes stream from is only removed with -Force.
/// </summary>
internal static class NodeUnregistration
{
    public static async Task<UnregistrationPlan> PlanAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, string? name, int? id, bool force)
    {
        var (nodes, _) = await MetadataReader.ReadNodesAsync(context, entryPoints).ConfigureAwait(false);
        NodeRecord node = id is int i
            ? nodes.FirstOrDefault(n => n.Id == i)
              ?? throw new PgHaException(PgHaErrorIds.NodeNotFound, i,
                  $"No node with id {i} is registered. Get-PgHaNode lists the registered nodes.")
            : NodeNames.Single(nodes, n => n.Name, name ?? "");

        string? activeReason = await ActiveMembershipAsync(context, node).ConfigureAwait(false);
        if (activeReason is not null && !force)
        {
            throw new PgHaException(PgHaErrorIds.NodeStillActive, node.Name,
                $"'{node.Name}' {activeReason}, so it is an active member of the cluster. Stop it first (Stop-PgHaNode), or use -Force to remove its record anyway.");
        }
        var downstream = nodes.Where(n => n.UpstreamId == node.Id && n.Active && n.Id != node.Id).Select(n => n.Name).ToList();
        if (downstream.Count > 0 && !force)
        {
            throw new PgHaException(PgHaErrorIds.NodeHasDownstream, node.Name,
                $"{string.Join(", ", downstream)} stream(s) from '{node.Name}'. Make them follow another node first, or use -Force (their upstream is then left empty).");
        }

        NodeRecord primary = node.Role == PgHaRole.Primary && node.Active
            ? node
            : nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active)
              ?? throw new PgHaException(PgHaErrorIds.NoPrimaryRegistered, node.Name,
                  "No active primary is registered, and only a primary's metadata can be changed. Register the primary first.");
        var writeTo = RegisteredConninfo.Parse(primary);
        NodeProbeResult primaryProbe;
        try
        {
            primaryProbe = await NodeProbe.ProbeAsync(context, writeTo).ConfigureAwait(false);
        }
        catch (PgHaException ex) when (!NodeConnector.LeavesStateUnknown(ex))
        {
            throw new PgHaException(PgHaErrorIds.PrimaryUnreachable, primary.Name,
                $"The metadata can only be changed on the primary, and '{primary.Name}' is unreachable: {ex.Message}", ex);
        }
        if (primaryProbe.InRecovery)
        {
            throw new PgHaException(PgHaErrorIds.PrimaryInRecovery, primary.Name,
                $"The registered primary '{primary.Name}' is in recovery, so its metadata cannot be written. Register the node that really is primary first (Register-PgHaNode -Role Primary -Force).");
        }
        return new UnregistrationPlan(node, writeTo, force);
    }

    public static async Task<PgHaNodeRegistration> ApplyAsync(OperationContext context, UnregistrationPlan plan)
    {
        CancellationToken ct = context.CancellationToken;
        await using var connection = await NodeConnector.OpenAsync(context, plan.WriteTo, NodeConnector.MetadataDatabaseOf(plan.WriteTo)).ConfigureAwait(false);
        await using var change = await MetadataChange.BeginAsync(context, new MetadataStore(connection)).ConfigureAwait(false);
        bool stillThere = (await change.Store.GetNodesAsync(ct).ConfigureAwait(false)).Any(n => n.Id == plan.Node.Id);
        if (stillThere)
        {
            await change.Store.DeleteNodeAsync(plan.Node.Id, ct).ConfigureAwait(false);
            string forced = plan.Force ? " with -Force" : string.Empty;
            await change.AddEventAsync(plan.Node.Id, plan.Node.Name, MetadataStore.RoleText(plan.Node.Role) + "_unregister", true,
                $"node '{plan.Node.Name}' (id {plan.Node.Id}) unregistered{forced}").ConfigureAwait(false);
        }
        await change.CommitAsync().ConfigureAwait(false);
        return new PgHaNodeRegistration
        {
            NodeId = plan.Node.Id,
            Name = plan.Node.Name,
            Role = plan.Node.Role,
            Location = plan.Node.Location,
            Priority = plan.Node.Priority,
            Conninfo = plan.Node.Conninfo,
            Action = stillThere ? PgHaRegistrationAction.Unregistered : PgHaRegistrationAction.Unchanged,
            Changed = stillThere,
            MetadataConninfo = plan.WriteTo.ToDisplayString(),
        };
    }

    /// <summary>Why the node counts as an active member right now, or null when it does not.</summary>
    private static async Task<string?> ActiveMembershipAsync(OperationContext context, NodeRecord node)
    {
        NodeProbeResult probe;
        try
        {
            probe = await NodeProbe.ProbeAsync(context, RegisteredConninfo.Parse(node)).ConfigureAwait(false);
        }
        catch (PgHaException)
        {
            return null; // Not reachable: not running as a member.
        }
        return node.Role switch
        {
            PgHaRole.Primary when !probe.InRecovery => "is running as a writable primary",
            PgHaRole.Standby when probe.InRecovery && probe.ReceiverStatus == "streaming" => "is running and streaming from its upstream",
            PgHaRole.Standby when !probe.InRecovery => "is running as a primary",
            PgHaRole.Witness => "is running as the witness",
            _ => null,
        };
    }
}
