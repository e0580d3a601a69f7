using PgHa.Conninfo;
using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations;

/// <summary>Which registered node a standby's WAL receiver is connected to (pg_stat_wal_receiver's sender host and port).</summary>
internal static class StreamingSender
{
    /// <summary>The registered node (other than the standby itself) the receiver streams from; null when none matches or no receiver runs.</summary>
    public static NodeRecord? Of(NodeRecord standby, NodeProbeResult probe, IEnumerable<NodeRecord> nodes) =>
        probe.ReceiverStatus is null ? null : nodes.FirstOrDefault(candidate =>
            candidate.Id != standby.Id && EndpointOf(candidate)?.Matches(probe.SenderHost, probe.SenderPort) == true);

    /// <summary>"host:port" of the sender as the receiver names it, or null.</summary>
    public static string? Describe(NodeProbeResult probe) =>
        probe.SenderHost is null ? null : $"{probe.SenderHost}:{probe.SenderPort}";

    /// <summary>The node's registered host and port; null for a record whose conninfo does not parse (it matches no sender).</summary>
    public static NodeEndpoint? EndpointOf(NodeRecord node) =>
        RegisteredConninfo.TryParse(node, out ConnectionInfo? info) ? NodeEndpoint.Of(info) : null;
}
