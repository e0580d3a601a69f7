namespace PgHa.Metadata;

/// <summary>
/// The row of pgha.consensus: which backend decides elections and, for etcd, how every node reaches it (client
/// URLs, the key prefix, the paths of the TLS files). Users and passwords are never part of it: each node brings
/// its own (node configuration Etcd.User / Etcd.PasswordFile, or -EtcdCredential). Before schema version 4 a
/// cluster has no such row and is <see cref="BuiltIn"/>.
/// </summary>
internal sealed record ConsensusSettings(
    PgHaConsensusBackend Backend,
    IReadOnlyList<string> EtcdEndpoints,
    string? EtcdPrefix,
    string? EtcdCaFile,
    string? EtcdCertFile,
    string? EtcdKeyFile)
{
    public static ConsensusSettings BuiltIn { get; } = new(PgHaConsensusBackend.BuiltIn, [], null, null, null, null);

    /// <summary>When it was last set (null: never, the default).</summary>
    public DateTimeOffset? ChangedAt { get; init; }

    /// <summary>Who set it (user@host).</summary>
    public string? ChangedBy { get; init; }

    /// <summary>The same backend with the same endpoints, prefix and files (when and by whom aside).</summary>
    public bool SameChoiceAs(ConsensusSettings other) =>
        Backend == other.Backend
        && EtcdEndpoints.SequenceEqual(other.EtcdEndpoints, StringComparer.Ordinal)
        && EtcdPrefix == other.EtcdPrefix
        && EtcdCaFile == other.EtcdCaFile
        && EtcdCertFile == other.EtcdCertFile
        && EtcdKeyFile == other.EtcdKeyFile;

    public PgHaConsensus ToConsensus(string metadataConninfo, bool changed = false) => new()
    {
        Backend = Backend,
        EtcdEndpoints = [.. EtcdEndpoints],
        EtcdPrefix = EtcdPrefix,
        EtcdCaFile = EtcdCaFile,
        EtcdCertFile = EtcdCertFile,
        EtcdKeyFile = EtcdKeyFile,
        ChangedAt = ChangedAt,
        ChangedBy = ChangedBy,
        Changed = changed,
        MetadataConninfo = metadataConninfo,
    };
}
