namespace PgHa.Bench.Failover;

/// <summary>
/// A 3-node cluster (node1 primary, node2 and node3 streaming standbys) with an automatic-failover agent on
/// every node: PgHa monitors or repmgrd daemons. Disposing stops the agents first, then the servers.
/// </summary>
public interface IFailoverCluster : IAsyncDisposable
{
    /// <summary>node1 (the primary), node2, node3.</summary>
    IReadOnlyList<BenchNode> Nodes { get; }

    /// <summary>Starts one agent per node and returns once every one of them watches the cluster.</summary>
    Task StartAgentsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Null while the cluster is as it was set up (every agent running, node1 the primary everywhere);
    /// otherwise what is not. Asked right before the kill or the cut, so a round never starts from a cluster
    /// that is already failing over.
    /// </summary>
    string? Unsteady(CancellationToken cancellationToken);

    /// <summary>The processes of <paramref name="node"/>'s agent (what a whole node lost takes with it besides the server).</summary>
    IReadOnlyList<int> AgentPids(BenchNode node);

    /// <summary>Where etcd keeps the cluster's leader key, when etcd decides (null: repmgrd, PgHa's built-in quorum).</summary>
    EtcdLeaderKey? LeaderKeyInEtcd => null;

    /// <summary>Copies the agents' logs and the servers' logs into <paramref name="directory"/>, for the record.</summary>
    void SaveLogs(string directory);
}
