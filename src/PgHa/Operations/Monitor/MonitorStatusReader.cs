using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Roles;

namespace PgHa.Operations.Monitor;

/// <summary>Asks every registered node's monitor for its status, in parallel (Get-PgHaMonitor, and Suspend/Resume waiting for the monitors to agree).</summary>
internal static class MonitorStatusReader
{
    public static async Task<IReadOnlyList<PgHaMonitorStatus>> ReadAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, TimeSpan timeout)
    {
        var (nodes, _) = await MetadataReader.ReadNodesAsync(context, entryPoints).ConfigureAwait(false);
        return await ReadAsync(context, nodes, timeout).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<PgHaMonitorStatus>> ReadAsync(OperationContext context, IReadOnlyList<NodeRecord> nodes, TimeSpan timeout)
    {
        NodeRecord[] active = nodes.Where(n => n.Active).ToArray();
        if (active.Length == 0)
        {
            return [];
        }
        MonitorMembers members = await MonitorMembers.ResolveAsync(active, active[0].Id, context.CancellationToken).ConfigureAwait(false);
        // Without the secret the replies cannot be checked: the statuses are shown as they come (they only inform).
        var client = new PeerClient(localAddress: null, timeout, new PeerSigner(context.ClusterSecret, selfId: 0), context.Reporter.Warning);
        PgHaMonitorStatus[] statuses = await Task.WhenAll(active.Select(async node =>
        {
            var endpoint = members.EndpointOf(node.Id);
            PeerStatus? status = endpoint is null ? null : await client.StatusAsync(node.Id, endpoint, context.CancellationToken).ConfigureAwait(false);
            return ToStatus(node, endpoint?.ToString() ?? $"(no address):{node.EffectiveMonitorPort}", status, nodes);
        })).ConfigureAwait(false);
        return statuses;
    }

    private static PgHaMonitorStatus ToStatus(NodeRecord node, string endpoint, PeerStatus? status, IReadOnlyList<NodeRecord> nodes)
    {
        if (status is null || status.NodeId != node.Id)
        {
            return new PgHaMonitorStatus { NodeId = node.Id, Name = node.Name, Running = false, Endpoint = endpoint };
        }
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return new PgHaMonitorStatus
        {
            NodeId = node.Id,
            Name = node.Name,
            Running = true,
            ProcessId = status.ProcessId,
            Role = status.Role.Name(),
            ServerRunning = status.ServerRunning,
            Fenced = status.Fenced,
            Paused = status.Paused,
            Failover = status.Failover,
            Term = status.Term,
            Primary = NodeRecordLookup.NameOf(nodes, status.LeaderId) ?? (status.LeaderId is { } id ? $"node {id}" : null),
            PrimaryLastSeen = status.LeaderLastSeenSecondsAgo is { } ago ? now - TimeSpan.FromSeconds(ago) : null,
            LastCheck = status.LastCheckAt,
            Priority = status.Priority,
            Location = status.Location,
            Lsn = PgHaLsn.TryParse(status.ReceivedLsn, out PgHaLsn lsn) ? lsn : null,
            Endpoint = endpoint,
            StartedAt = status.StartedAt,
            Version = status.Version,
            Consensus = string.IsNullOrEmpty(status.Consensus) ? null : status.Consensus,
            LeaseSecondsLeft = status.LeaseSecondsLeft,
            StandsAside = status.StandsAside,
        };
    }
}
