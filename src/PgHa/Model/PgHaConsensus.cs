namespace PgHa;

/// <summary>
/// Which backend decides the cluster's elections, as recorded in the metadata (Set-PgHaConsensus writes it,
/// Get-PgHaCluster shows it in its Consensus property). With etcd: the endpoints, the key prefix and the paths of
/// the TLS files every node uses; never a user or a password. Get-PgHaCluster adds who holds the leader key now.
/// </summary>
public sealed class PgHaConsensus
{
    public PgHaConsensusBackend Backend { get; init; }

    /// <summary>etcd's client URLs; empty with the built-in quorum.</summary>
    public string[] EtcdEndpoints { get; init; } = [];

    /// <summary>The cluster's keys in etcd live under it (PREFIX/leader, PREFIX/members/...).</summary>
    public string? EtcdPrefix { get; init; }

    /// <summary>PEM file of the CA that signed the etcd members' certificates (the path on every node); null: the system store.</summary>
    public string? EtcdCaFile { get; init; }

    /// <summary>PEM client certificate for members run with --client-cert-auth (the path on every node).</summary>
    public string? EtcdCertFile { get; init; }

    public string? EtcdKeyFile { get; init; }

    /// <summary>When the backend was last set, and by whom (user@host).</summary>
    public DateTimeOffset? ChangedAt { get; init; }

    public string? ChangedBy { get; init; }

    /// <summary>The node that holds the etcd leader key now (Get-PgHaCluster); null when nobody does or etcd was not read.</summary>
    public string? Leader { get; init; }

    /// <summary>Seconds left on the leader key's lease, as etcd says; null with no leader or a key on no lease.</summary>
    public long? LeaderLeaseTtl { get; init; }

    /// <summary>Set-PgHaConsensus: false when the metadata already recorded exactly this (a repeated call changes nothing).</summary>
    public bool Changed { get; init; }

    /// <summary>The conninfo (without password) of the node whose metadata was read or written.</summary>
    public string MetadataConninfo { get; init; } = string.Empty;

    public override string ToString() => Backend == PgHaConsensusBackend.BuiltIn
        ? "built-in quorum"
        : $"etcd {string.Join(",", EtcdEndpoints)} prefix {EtcdPrefix}"
          + (Leader is null ? ", no leader" : $", leader {Leader}{(LeaderLeaseTtl is null ? string.Empty : $" ({LeaderLeaseTtl} s left)")}");
}
