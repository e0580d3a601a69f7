namespace PgHa.Etcd;

/// <summary>
/// The leader key as read: which node holds it for which cluster, on which lease, and how long etcd says that
/// lease has left (null when not asked for). ClusterId tells a leader of this cluster from one a previous
/// cluster left under the same prefix.
/// </summary>
internal sealed record EtcdLeaderRecord(string NodeName, string ClusterId, long Lease, long ModRevision, TimeSpan? TtlLeft)
{
    /// <summary>The election term the holder leads, when the key names one (a monitor's key does).</summary>
    public long? Term { get; init; }

    /// <summary>A key another cluster wrote (or that PgHa cannot read) under this prefix: no node of ours holds it.</summary>
    public bool IsStaleFor(string clusterId) => !string.Equals(ClusterId, clusterId, StringComparison.Ordinal);
}
