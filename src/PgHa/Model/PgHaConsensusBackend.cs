namespace PgHa;

/// <summary>What decides which node may be primary when the monitors elect (Set-PgHaConsensus -Backend).</summary>
public enum PgHaConsensusBackend
{
    /// <summary>The monitors' own peer quorum: a majority of the registered nodes vouches for the primary (the default, for clusters without etcd).</summary>
    BuiltIn,

    /// <summary>An etcd cluster: the primary holds a leader key on a lease under the cluster's prefix, as with Patroni.</summary>
    Etcd,
}
