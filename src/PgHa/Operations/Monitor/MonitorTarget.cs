using PgHa.Conninfo;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Which node a monitor looks after and where it finds things: the node (by id or name), how to reach its
/// own server (null: its registered conninfo; a Unix socket keeps it reachable when the network is cut), where else the metadata
/// can be read, the file that keeps its vote (null: beside the data directory), and the cluster secret's file
/// (null: the default, <see cref="ClusterSecretLocation.DefaultPath"/>), and this host's access to the cluster's etcd
/// when the metadata records etcd (user and password, TLS files at other paths than recorded; never logged).
/// </summary>
internal sealed record MonitorTarget(
    string? NodeName,
    int? NodeId,
    ConnectionInfo? LocalConninfo,
    IReadOnlyList<ConnectionInfo> EntryPoints,
    string? StateFile,
    string? SecretFile = null,
    Etcd.EtcdAccess? EtcdAccess = null);
