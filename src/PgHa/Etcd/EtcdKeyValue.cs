namespace PgHa.Etcd;

/// <summary>One key as etcd returns it: the revisions say when it was created and last changed, Lease 0 means none.</summary>
internal sealed record EtcdKeyValue(string Key, string Value, long CreateRevision, long ModRevision, long Version, long Lease);
