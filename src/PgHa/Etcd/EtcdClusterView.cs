namespace PgHa.Etcd;

/// <summary>
/// Everything under a cluster's prefix as of one etcd revision (one range request): the leader key, the
/// members, the settings and the pause flag. A monitor tick decides on this snapshot.
/// </summary>
internal sealed record EtcdClusterView(
    long Revision,
    EtcdLeaderRecord? Leader,
    IReadOnlyList<EtcdMember> Members,
    string? Settings,
    bool Paused,
    long? PauseRevision = null);
