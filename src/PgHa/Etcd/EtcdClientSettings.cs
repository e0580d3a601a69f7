using PgHa.Core;

namespace PgHa.Etcd;

/// <summary>
/// How to reach an etcd cluster: its client URLs (any member answers; the client moves to the next one when a
/// member fails), the deadline of one request across all of them, TLS files and an etcd user. The password is
/// kept for authenticating only: ToString leaves it out, so settings can be logged.
/// </summary>
internal sealed class EtcdClientSettings
{
    public EtcdClientSettings(IReadOnlyList<Uri> endpoints)
    {
        if (endpoints.Count == 0)
        {
            throw Invalid("No etcd endpoint was given. Name the client URLs of the etcd members, e.g. http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379.");
        }
        foreach (Uri endpoint in endpoints)
        {
            if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)
                || endpoint.AbsolutePath != "/" || !string.IsNullOrEmpty(endpoint.Query) || !string.IsNullOrEmpty(endpoint.UserInfo))
            {
                throw Invalid($"The etcd endpoint {endpoint} is not a client URL. Give http://host:port or https://host:port (the member's --advertise-client-urls), without a path or user.");
            }
        }
        Endpoints = endpoints;
    }

    public IReadOnlyList<Uri> Endpoints { get; }

    /// <summary>One request, over every endpoint it tries, ends within this. Patroni's retry_timeout plays the same part.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>PEM file of the CA that signed the members' server certificates; the system store when null.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM files of the client certificate and its key, for members run with --client-cert-auth.</summary>
    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    public string? UserName { get; init; }

    public string? Password { get; init; }

    /// <summary>Reads "http://a:2379,http://b:2379" (commas or spaces between URLs, as etcdctl's --endpoints).</summary>
    public static IReadOnlyList<Uri> ParseEndpoints(string endpoints)
    {
        var list = new List<Uri>();
        foreach (string text in endpoints.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out Uri? uri))
            {
                throw Invalid($"The etcd endpoint '{text}' is not a URL. Give http://host:port or https://host:port.");
            }
            list.Add(uri);
        }
        return list;
    }

    public override string ToString()
    {
        string user = UserName is null ? "" : $", user {UserName} (password {(Password is null ? "not set" : "set")})";
        string tls = CaFile is null && CertFile is null ? "" : $", CA {CaFile ?? "system"}, client certificate {CertFile ?? "none"}";
        return $"etcd {string.Join(",", Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)))}, deadline {RequestTimeout.TotalSeconds:0.###} s{tls}{user}";
    }

    internal static PgHaException Invalid(string message) =>
        new(PgHaErrorIds.EtcdInvalidSettings, null, message);
}
