namespace PgHa.Etcd;

/// <summary>The ErrorIds of the etcd engine, in one place.</summary>
internal static class EtcdErrorIds
{
    /// <summary>No etcd member answered within the deadline, or none has a quorum: nothing can be decided.</summary>
    public const string Unreachable = "PgHaEtcdUnreachable";

    /// <summary>etcd refused the user name or password (or no credentials were given to an etcd with auth on).</summary>
    public const string AuthenticationFailed = "PgHaEtcdAuthenticationFailed";

    /// <summary>The etcd user lacks a role with readwrite on the cluster's prefix.</summary>
    public const string PermissionDenied = "PgHaEtcdPermissionDenied";

    /// <summary>The leader key is held by another node, of this cluster or of a previous one.</summary>
    public const string LeaderHeldByAnother = "PgHaEtcdLeaderHeldByAnother";

    /// <summary>The leader key (or the lease it was on) is gone.</summary>
    public const string LeaderLost = "PgHaEtcdLeaderLost";

    /// <summary>The lease named is unknown to etcd: it ended (TTL passed without a keepalive) or was revoked.</summary>
    public const string LeaseNotFound = "PgHaEtcdLeaseNotFound";

    /// <summary>etcd answered with an error PgHa does not expect (a bug, or an etcd version PgHa does not know).</summary>
    public const string RequestFailed = "PgHaEtcdRequestFailed";

    /// <summary>The etcd client settings are unusable (no endpoints, bad URL, unreadable certificate).</summary>
    public const string InvalidSettings = "PgHaEtcdInvalidSettings";

    /// <summary>The etcd password file is missing, unreadable or empty.</summary>
    public const string PasswordFileInvalid = "PgHaEtcdPasswordFileInvalid";

    /// <summary>The etcd password file may be read or written by other users.</summary>
    public const string PasswordFileExposed = "PgHaEtcdPasswordFileExposed";
}
