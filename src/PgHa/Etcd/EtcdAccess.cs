namespace PgHa.Etcd;

/// <summary>
/// What one host needs to reach the cluster's etcd beyond what the metadata records (endpoints, prefix and the
/// TLS files' usual paths): TLS files at other paths on this host, and an etcd user with its password. It comes
/// from a command's parameters (-EtcdCredential), the node's configuration (Etcd.User, Etcd.PasswordFile) or
/// both; <see cref="Over"/> lets the nearer source win field by field. The password is held for the client only:
/// ToString leaves it out, nothing writes it to metadata, events or logs.
/// </summary>
internal sealed class EtcdAccess
{
    public static readonly EtcdAccess None = new();

    /// <summary>PEM file of the CA that signed the members' certificates; null: the cluster's recorded path (or the system store).</summary>
    public string? CaFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    public string? UserName { get; init; }

    public string? Password { get; init; }

    /// <summary>This access where it says something, <paramref name="fallback"/> where it does not. A user comes with its own password, never another source's.</summary>
    public EtcdAccess Over(EtcdAccess fallback)
    {
        bool ownUser = UserName is not null;
        return new EtcdAccess
        {
            CaFile = CaFile ?? fallback.CaFile,
            CertFile = CertFile ?? fallback.CertFile,
            KeyFile = CertFile is not null ? KeyFile : KeyFile ?? fallback.KeyFile,
            UserName = ownUser ? UserName : fallback.UserName,
            Password = ownUser ? Password : fallback.Password,
        };
    }

    /// <summary>
    /// The client settings for the recorded endpoints and TLS files, with this access on top: its TLS files replace
    /// the recorded ones, its user and password are the only ones.
    /// </summary>
    public EtcdClientSettings ToClientSettings(IReadOnlyList<Uri> endpoints, string? caFile, string? certFile, string? keyFile) =>
        new(endpoints)
        {
            CaFile = CaFile ?? caFile,
            CertFile = CertFile ?? certFile,
            KeyFile = CertFile is not null ? KeyFile : KeyFile ?? keyFile,
            UserName = UserName,
            Password = UserName is null ? null : Password,
        };

    public override string ToString()
    {
        var parts = new List<string>();
        if (UserName is not null)
        {
            parts.Add($"user {UserName} (password {(Password is null ? "not set" : "set")})");
        }
        if (CaFile is not null)
        {
            parts.Add("CA " + CaFile);
        }
        if (CertFile is not null)
        {
            parts.Add("client certificate " + CertFile);
        }
        return parts.Count == 0 ? "no etcd user, the recorded TLS files" : string.Join(", ", parts);
    }
}
