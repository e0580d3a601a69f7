using PgHa.Core;

namespace PgHa.Etcd;

/// <summary>
/// The outcome of taking or renewing the leader key. Held: the key names this node on its lease (Lease says
/// for how long). Not held: Holder is who holds it instead (null when nobody does, e.g. after the lease ended).
/// Losing an election is an answer etcd gave, not an error: callers that need the key turn it into one.
/// </summary>
internal sealed record EtcdLeaderClaim(bool Held, EtcdLeaderRecord? Holder, EtcdLease? Lease)
{
    /// <summary>The error for a node that must hold the key and does not (PgHaEtcdLeaderHeldByAnother or PgHaEtcdLeaderLost).</summary>
    public PgHaException? ToError(string prefix, string nodeName, string clusterId)
    {
        if (Held)
        {
            return null;
        }
        if (Holder is null)
        {
            return new PgHaException(PgHaErrorIds.EtcdLeaderLost, prefix,
                $"The leader key {prefix}/leader is gone: the lease of {nodeName} ended before it was renewed. "
                + "The primary must stop taking writes now; a new election decides who leads.");
        }
        string whose = Holder.IsStaleFor(clusterId)
            ? $"a stale key of another cluster (cluster id {Holder.ClusterId}, node {Holder.NodeName}); it goes when its lease ends, "
              + "or remove it once no node of that cluster runs"
            : $"node {Holder.NodeName} of this cluster";
        return new PgHaException(PgHaErrorIds.EtcdLeaderHeldByAnother, prefix,
            $"The leader key {prefix}/leader is held by {whose}, not by {nodeName}. "
            + "Only the holder may lead; wait for its lease to end (Get the leader's TTL left) before an election.");
    }
}
