namespace PgHa.Etcd;

/// <summary>A member's published state (opaque text: the monitor decides its format), its lease and revisions.</summary>
internal sealed record EtcdMember(string Id, string State, long Lease, long CreateRevision, long ModRevision);
