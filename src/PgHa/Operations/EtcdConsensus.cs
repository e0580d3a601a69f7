using PgHa.Core;
using PgHa.Etcd;
using PgHa.Metadata;

namespace PgHa.Operations;

/// <summary>
/// The etcd the metadata names, reached from this host: the recorded endpoints, prefix and TLS file paths with
/// this host's own access on top (node configuration, -EtcdCredential; see <see cref="EtcdAccessSources"/>).
/// The monitor builds its client with <see cref="ClientSettings"/> and its store under <see cref="ConsensusSettings.EtcdPrefix"/>.
/// </summary>
internal static class EtcdConsensus
{
    /// <summary>
    /// The client settings for the etcd <paramref name="consensus"/> records, with <paramref name="access"/>'s TLS
    /// files (when it names any) and user. PgHaEtcdInvalidSettings when the backend is not etcd or the record is unusable.
    /// </summary>
    public static EtcdClientSettings ClientSettings(ConsensusSettings consensus, EtcdAccess access, TimeSpan? requestTimeout = null)
    {
        if (consensus.Backend != PgHaConsensusBackend.Etcd || consensus.EtcdPrefix is null)
        {
            throw EtcdClientSettings.Invalid("The cluster's metadata does not name an etcd (its elections are decided by the built-in quorum). Record one with Set-PgHaConsensus -Backend Etcd.");
        }
        IReadOnlyList<Uri> endpoints = EtcdClientSettings.ParseEndpoints(string.Join(",", consensus.EtcdEndpoints));
        EtcdClientSettings settings = access.ToClientSettings(endpoints, consensus.EtcdCaFile, consensus.EtcdCertFile, consensus.EtcdKeyFile);
        return requestTimeout is { } timeout
            ? new EtcdClientSettings(settings.Endpoints)
            {
                RequestTimeout = timeout,
                CaFile = settings.CaFile,
                CertFile = settings.CertFile,
                KeyFile = settings.KeyFile,
                UserName = settings.UserName,
                Password = settings.Password,
            }
            : settings;
    }

    /// <summary>
    /// The record for etcd as a user gave it: endpoints as client URLs (http:// when no scheme was written), the
    /// prefix without its trailing '/', TLS files as absolute paths (every node reads them at that path).
    /// </summary>
    /// <remarks>A null <paramref name="prefix"/> stays null: Set-PgHaConsensus then keeps the recorded prefix or makes the default.</remarks>
    public static ConsensusSettings Record(IEnumerable<string> endpoints, string? prefix, string? caFile, string? certFile, string? keyFile)
    {
        IReadOnlyList<Uri> parsed = EtcdClientSettings.ParseEndpoints(string.Join(",", endpoints));
        // The constructor refuses an empty list and URLs that are not client URLs.
        var settings = new EtcdClientSettings(parsed);
        string[] urls = settings.Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)).Distinct(StringComparer.Ordinal).ToArray();
        if (keyFile is not null && certFile is null)
        {
            throw EtcdClientSettings.Invalid("An etcd client key (-EtcdKeyFile) was given without its certificate: give -EtcdCertFile too.");
        }
        return new ConsensusSettings(PgHaConsensusBackend.Etcd, urls, prefix is null ? null : EtcdClusterStore.NormalizePrefix(prefix),
            AbsolutePath(caFile, "CA file"), AbsolutePath(certFile, "client certificate"), AbsolutePath(keyFile, "client key"));
    }

    /// <summary>Who holds the leader key now, with the TTL its lease has left; null when nobody does.</summary>
    public static async Task<EtcdLeaderRecord?> ReadLeaderAsync(ConsensusSettings consensus, EtcdAccess access, CancellationToken ct)
    {
        using var client = new EtcdClient(ClientSettings(consensus, access));
        // Reading needs no cluster id: the record says which cluster the key's holder belongs to.
        var store = new EtcdClusterStore(client, consensus.EtcdPrefix!, "(reader)");
        return await store.ReadLeaderAsync(ct).ConfigureAwait(false);
    }

    private static string? AbsolutePath(string? path, string what)
    {
        if (path is null)
        {
            return null;
        }
        if (!path.StartsWith('/') && !Path.IsPathFullyQualified(path))
        {
            throw new PgHaException(PgHaErrorIds.EtcdInvalidSettings, path,
                $"The etcd {what} '{path}' is not an absolute path. Every node reads it at the path recorded in the metadata: give the full path, e.g. /etc/pgha/etcd-ca.crt.");
        }
        return path;
    }
}
