using System.Net;
using System.Net.Sockets;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The members of the cluster as one monitor knows them, with where each one's monitor listens (the host
/// of its conninfo and its monitor port) and which addresses may vote or announce.
/// <para>
/// Every registered node is a member and votes, the witness included, active or not: a failover marks the
/// failed primary inactive, but its monitor may well be alive (only its server died) and keeps its vote.
/// Counting only the active nodes shrank the majority after each failover, so that one more lost monitor
/// fenced the new primary although a majority of the running monitors still vouched for it (fault run: a
/// cluster left with no primary). The set changes only by Register-PgHaNode and Unregister-PgHaNode; a node
/// that is gone for good must be unregistered, or it keeps counting against the majority.
/// </para>
/// </summary>
internal sealed class MonitorMembers
{
    private readonly Dictionary<int, IPEndPoint> _endpoints;
    private readonly HashSet<IPAddress> _addresses;

    private MonitorMembers(IReadOnlyList<NodeRecord> nodes, NodeRecord self, Dictionary<int, IPEndPoint> endpoints)
    {
        Nodes = nodes;
        Self = self;
        _endpoints = endpoints;
        _addresses = endpoints.Values.Select(e => e.Address).ToHashSet();
    }

    /// <summary>Every registered node: data nodes (active or not) and the witness. These are the voters.</summary>
    public IReadOnlyList<NodeRecord> Nodes { get; }

    public NodeRecord Self { get; }

    public IEnumerable<NodeRecord> Others => Nodes.Where(n => n.Id != Self.Id);

    public NodeRecord? ById(int? id) => id is null ? null : Nodes.FirstOrDefault(n => n.Id == id);

    public IPEndPoint? EndpointOf(int id) => _endpoints.GetValueOrDefault(id);

    /// <summary>This node's own address: where its monitor listens and where its requests leave from.</summary>
    public IPAddress? SelfAddress => EndpointOf(Self.Id)?.Address;

    public bool IsMemberAddress(IPAddress address) => _addresses.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>Resolves every member's monitor endpoint; a member whose host cannot be resolved has none (it counts, but cannot be asked).</summary>
    public static async Task<MonitorMembers> ResolveAsync(IReadOnlyList<NodeRecord> nodes, int selfId, CancellationToken ct)
    {
        List<NodeRecord> members = nodes.ToList();
        NodeRecord self = members.FirstOrDefault(n => n.Id == selfId)
            ?? throw new PgHaException(PgHaErrorIds.NodeNotFound, selfId,
                $"Node id {selfId} is not registered. Register the node before starting its monitor.");
        var endpoints = new Dictionary<int, IPEndPoint>();
        foreach (NodeRecord node in members)
        {
            if (await AddressOfAsync(node, ct).ConfigureAwait(false) is { } address)
            {
                endpoints[node.Id] = new IPEndPoint(address, node.EffectiveMonitorPort);
            }
        }
        return new MonitorMembers(members, self, endpoints);
    }

    private static async Task<IPAddress?> AddressOfAsync(NodeRecord node, CancellationToken ct)
    {
        if (!RegisteredConninfo.TryParse(node, out var info))
        {
            return null; // no address: Get-PgHaMonitor and the peers' logs name it unreachable; the cmdlets say why (PgHaConninfoInvalid)
        }
        string host = NodeEndpoint.Of(info).Host;
        if (host.StartsWith('/') || host.StartsWith('@'))
        {
            return null; // a Unix socket: there is no address to reach a monitor at
        }
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return literal;
        }
        try
        {
            IPAddress[] found = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
            return found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault();
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
