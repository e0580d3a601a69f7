namespace PgHa;

/// <summary>The whole cluster as one object: its nodes with live status, and what is wrong with it.</summary>
public sealed class PgHaCluster
{
    /// <summary>Name of the node registered as primary, or null when none is registered.</summary>
    public string? Primary { get; init; }

    /// <summary>The primary's database system identifier: the identity of the replicated cluster.</summary>
    public string? SystemIdentifier { get; init; }

    public PgHaNode[] Nodes { get; init; } = [];

    /// <summary>Cluster-wide problems first, then each node's warnings, prefixed with the node name.</summary>
    public string[] Warnings { get; init; } = [];

    /// <summary>True when every active node runs in its registered role, attached, with no warning.</summary>
    public bool Healthy => Warnings.Length == 0;

    public DateTimeOffset CheckedAt { get; init; }

    /// <summary>Which backend decides elections (the built-in quorum or etcd) and, with etcd, who holds the leader key now.</summary>
    public PgHaConsensus Consensus { get; init; } = new();

    /// <summary>The conninfo (without password) of the node whose metadata was read.</summary>
    public string MetadataConninfo { get; init; } = string.Empty;

    /// <summary>The cluster as `repmgr cluster show` prints it (ID, Name, Role, Status, Upstream, Location, Priority, Timeline, Connection string).</summary>
    public string ToTable() => ClusterTableText.Render(this);

    public override string ToString() => $"{Nodes.Length} nodes, primary {Primary ?? "(none)"}";
}
