using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PgHa.Core;

namespace PgHa.Etcd;

/// <summary>
/// Calls etcd's v3 API through its JSON gateway (HTTP on the client port, what Patroni's etcd3 module uses;
/// see docs/ARCHITECTURE.md for why not gRPC). One call tries the endpoints in turn, starting with the last
/// one that answered, until one answers or the settings' deadline passes; an etcd that lost its quorum
/// answers nothing useful in that time, so the caller gets PgHaEtcdUnreachable, never a guess.
/// With a user, the client authenticates per member (etcd 3.4's simple tokens are valid only on the
/// member that issued them) and again when a token expires.
/// </summary>
internal sealed class EtcdClient : IDisposable
{
    private static readonly TimeSpan MinimumAttempt = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RoundPause = TimeSpan.FromMilliseconds(100);

    private readonly EtcdClientSettings _settings;
    private readonly HttpClient _http;
    private readonly string?[] _tokens;
    private int _current;

    public EtcdClient(EtcdClientSettings settings)
    {
        _settings = settings;
        _tokens = new string?[settings.Endpoints.Count];
        _http = new HttpClient(CreateHandler(settings), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public EtcdClientSettings Settings => _settings;

    /// <summary>
    /// Posts one request (path as "/v3/kv/range") and returns the answer's JSON. Throws PgHaException:
    /// PgHaEtcdUnreachable when no member answered in time, or the id of what etcd refused.
    /// </summary>
    public async Task<JsonElement> CallAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        string json = body.ToJsonString();
        long started = Stopwatch.GetTimestamp();
        int count = _settings.Endpoints.Count;
        var failures = new List<string>();
        int failedInRound = 0;
        while (true)
        {
            TimeSpan remaining = _settings.RequestTimeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw Unreachable(path, failures);
            }
            if (failedInRound == count)
            {
                // Every member failed once (e.g. an election under way): a short pause before the next round.
                failedInRound = 0;
                await Task.Delay(remaining < RoundPause ? remaining : RoundPause, cancellationToken);
                continue;
            }
            int index = Volatile.Read(ref _current);
            TimeSpan share = _settings.RequestTimeout / count;
            TimeSpan attemptTimeout = remaining < MinimumAttempt || remaining < share ? remaining : share < MinimumAttempt ? MinimumAttempt : share;
            using var attemptDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptDeadline.CancelAfter(attemptTimeout);
            string? failure;
            try
            {
                (JsonElement? answer, failure) = await TryEndpointAsync(index, path, json, attemptDeadline.Token);
                if (answer is not null)
                {
                    return answer.Value;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"no answer within {attemptTimeout.TotalMilliseconds:0} ms";
            }
            catch (HttpRequestException exception)
            {
                failure = exception.InnerException?.Message ?? exception.Message;
            }
            failures.Add($"{_settings.Endpoints[index].GetLeftPart(UriPartial.Authority)}: {failure}");
            failedInRound++;
            Interlocked.CompareExchange(ref _current, (index + 1) % count, index);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>An answer, or why this member could not give one (the next member may). Throws what no member would answer differently.</summary>
    private async Task<(JsonElement? Answer, string? Failure)> TryEndpointAsync(int index, string path, string json, CancellationToken cancellationToken)
    {
        for (int authentication = 0; ; authentication++)
        {
            if (_settings.UserName is not null && _tokens[index] is null)
            {
                (string? token, string? failure) = await AuthenticateAsync(index, cancellationToken);
                if (token is null)
                {
                    return (null, failure);
                }
                _tokens[index] = token;
            }
            JsonElement answer = await PostAsync(index, path, json, _tokens[index], cancellationToken);
            EtcdStatus? status = EtcdJson.Error(answer);
            if (status is null)
            {
                return (answer, null);
            }
            if (status.Code == EtcdStatus.Unauthenticated && _settings.UserName is not null && authentication == 0)
            {
                _tokens[index] = null; // expired or issued by a member that restarted: authenticate again once
                continue;
            }
            if (status.IsTransient)
            {
                return (null, status.Message);
            }
            throw Refused(path, status);
        }
    }

    private async Task<(string? Token, string? Failure)> AuthenticateAsync(int index, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["name"] = _settings.UserName, ["password"] = _settings.Password ?? "" };
        JsonElement answer = await PostAsync(index, "/v3/auth/authenticate", body.ToJsonString(), null, cancellationToken);
        EtcdStatus? status = EtcdJson.Error(answer);
        if (status is null)
        {
            return answer.TryGetProperty("token", out JsonElement token) && token.GetString() is { Length: > 0 } text
                ? (text, null)
                : throw Refused("/v3/auth/authenticate", new EtcdStatus(0, "no token in the answer"));
        }
        if (status.Code == EtcdStatus.FailedPrecondition && status.Message.Contains("authentication is not enabled", StringComparison.Ordinal))
        {
            // A user given to an etcd without access control: nothing to log in to, every request is allowed anyway.
            // The empty token means "none needed" until a request is refused as unauthenticated (access control turned on).
            return (string.Empty, null);
        }
        return status.IsTransient ? (null, status.Message) : throw Refused("/v3/auth/authenticate", status);
    }

    private async Task<JsonElement> PostAsync(int index, string path, string json, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_settings.Endpoints[index], path))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.TryAddWithoutValidation("Authorization", token);
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            // Streamed answers (keepalive) are one JSON object per message; a single request gets one message.
            return document.RootElement.Clone();
        }
        catch (JsonException) when (text.Contains("CommonName of client", StringComparison.Ordinal))
        {
            // etcd (since the fix of CVE-2018-16886) refuses gateway requests whose client certificate has a
            // CommonName while --client-cert-auth is on, because the gateway cannot use it as the user name.
            throw EtcdClientSettings.Invalid($"etcd refused the client certificate {_settings.CertFile}: its JSON gateway, which PgHa uses, "
                + "accepts no certificate with a CommonName (CN) when the members run with --client-cert-auth. Issue PgHa a client "
                + "certificate without CN (e.g. openssl req -subj \"/O=pgha\") and give an etcd user and password for etcd's access control.");
        }
        catch (JsonException)
        {
            // Not etcd's gateway (a proxy's error page, another service on the port): this endpoint cannot answer.
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} without etcd's JSON: {Shorten(text)}");
        }
    }

    private PgHaException Unreachable(string path, List<string> failures)
    {
        string tried = failures.Count == 0 ? "" : " (" + string.Join("; ", failures.Distinct().TakeLast(6)) + ")";
        return new PgHaException(PgHaErrorIds.EtcdUnreachable, path,
            $"No etcd member answered {path} within {_settings.RequestTimeout.TotalSeconds:0.###} s{tried}. "
            + "etcd has no quorum or cannot be reached from this host: check that a majority of the members run "
            + $"(etcdctl --endpoints={string.Join(",", _settings.Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)))} endpoint health) "
            + "and that this host reaches their client port. Until then no leader can be taken or renewed.");
    }

    private static PgHaException Refused(string path, EtcdStatus status)
    {
        if (status.IsAuthenticationFailure)
        {
            return new PgHaException(PgHaErrorIds.EtcdAuthenticationFailed, path,
                $"etcd refused the user name or password ({status.Message}). Check the etcd user (etcdctl user get NAME) and give its password again.");
        }
        if (status.Code == EtcdStatus.InvalidArgument && status.Message.Contains("user name is empty", StringComparison.Ordinal))
        {
            return new PgHaException(PgHaErrorIds.EtcdAuthenticationFailed, path,
                $"etcd's access control is on and no etcd user was given ({status.Message}). Give the user and its password: -EtcdCredential, "
                + "or Etcd.User and Etcd.PasswordFile in the node's configuration.");
        }
        if (status.Code == EtcdStatus.PermissionDenied)
        {
            return new PgHaException(PgHaErrorIds.EtcdPermissionDenied, path,
                $"etcd denied {path} ({status.Message}). Give an etcd user with a readwrite role on the cluster's prefix "
                + "(etcdctl role grant-permission ROLE --prefix=true readwrite PREFIX/).");
        }
        if (status.Code == EtcdStatus.NotFound && status.Message.Contains("lease not found", StringComparison.Ordinal))
        {
            return new PgHaException(PgHaErrorIds.EtcdLeaseNotFound, path,
                $"etcd no longer knows the lease ({status.Message}): its TTL passed without a keepalive, or it was revoked. Grant a new lease.");
        }
        return new PgHaException(PgHaErrorIds.EtcdRequestFailed, path,
            $"etcd refused {path} with code {status.Code}: {status.Message}. PgHa expects etcd 3.4 or later; report this with the etcd version.");
    }

    private static SocketsHttpHandler CreateHandler(EtcdClientSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = settings.RequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            UseProxy = false,
        };
        if (settings.CaFile is null && settings.CertFile is null)
        {
            return handler;
        }
        var ssl = new SslClientAuthenticationOptions();
        if (settings.CertFile is not null)
        {
            ssl.ClientCertificates = [LoadClientCertificate(settings.CertFile, settings.KeyFile ?? settings.CertFile)];
        }
        if (settings.CaFile is not null)
        {
            X509Certificate2Collection authorities = LoadAuthorities(settings.CaFile);
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && TrustedBy(authorities, new X509Certificate2(certificate), errors);
        }
        handler.SslOptions = ssl;
        return handler;
    }

    /// <summary>The members' certificates chain to the given CA (and no other), and name the host connected to.</summary>
    private static bool TrustedBy(X509Certificate2Collection authorities, X509Certificate2 certificate, SslPolicyErrors errors)
    {
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static X509Certificate2Collection LoadAuthorities(string caFile)
    {
        try
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            return authorities.Count > 0 ? authorities : throw EtcdClientSettings.Invalid($"The etcd CA file {caFile} holds no certificate. Give the PEM file of the CA that signed the etcd members' certificates.");
        }
        catch (Exception exception) when (exception is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw EtcdClientSettings.Invalid($"The etcd CA file {caFile} cannot be read ({exception.Message}). Give a readable PEM file.");
        }
    }

    private static X509Certificate2 LoadClientCertificate(string certFile, string keyFile)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception exception) when (exception is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw EtcdClientSettings.Invalid($"The etcd client certificate {certFile} with key {keyFile} cannot be loaded ({exception.Message}). Give PEM files of a certificate and its unencrypted private key.");
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
