using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PgHa.Operations.Monitor.Health;

/// <summary>
/// The monitor's HTTP endpoint: a minimal HTTP/1.1 server over a TcpListener (and an SslStream when a
/// certificate is given). Not ASP.NET Core (it cannot be loaded into a PowerShell module's load context)
/// and not HttpListener (on Linux it is a managed reimplementation without TLS from PEM files, and it
/// would still need its own limits). One request per connection, then the connection closes; at most
/// <see cref="MaxConnections"/> at once (more are closed at once, without an answer), a head of at most
/// <see cref="HealthRequestParser.MaxHeadBytes"/>, and <see cref="ReadTimeout"/> to send it. Answers are
/// computed from the last published snapshot: nothing here waits for the monitor or a database.
/// </summary>
internal sealed class HealthServer : IAsyncDisposable
{
    public const int MaxConnections = 32;
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(3);

    private readonly TcpListener _listener;
    private readonly X509Certificate2? _certificate;
    private readonly Func<HealthRequest, HealthResponse> _answer;
    private readonly SemaphoreSlim _slots = new(MaxConnections);
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    public HealthServer(IPEndPoint endpoint, X509Certificate2? certificate, Func<HealthRequest, HealthResponse> answer)
    {
        _listener = new TcpListener(endpoint);
        _certificate = certificate;
        _answer = answer;
    }

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    public bool Tls => _certificate is not null;

    /// <summary>Loads a PEM certificate and key (as HAProxy, PostgreSQL and Patroni take them).</summary>
    public static X509Certificate2 LoadCertificate(string certificateFile, string keyFile)
    {
        using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        // A key from PEM is ephemeral; SslStream on some platforms needs it persisted, which a PKCS#12 round trip does.
        return new X509Certificate2(pem.Export(X509ContentType.Pkcs12));
    }

    public void Start()
    {
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _accepting = AcceptLoopAsync(_stop.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            if (!_slots.Wait(0))
            {
                client.Dispose(); // too many at once: a check tries again, a flood gets nothing
                continue;
            }
            _ = ServeAsync(client, ct);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        try
        {
            using (client)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                deadline.CancelAfter(ReadTimeout);
                client.NoDelay = true;
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, deadline.Token).ConfigureAwait(false);
                    stream = tls;
                }
                await using (stream.ConfigureAwait(false))
                {
                    (HealthResponse response, bool headOnly) = await ReadAndAnswerAsync(stream, deadline.Token).ConfigureAwait(false);
                    await stream.WriteAsync(Serialize(response, headOnly), deadline.Token).ConfigureAwait(false);
                    await stream.FlushAsync(deadline.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // A client that went away, sent nothing in time, or failed the TLS handshake: nothing to answer.
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<(HealthResponse Response, bool HeadOnly)> ReadAndAnswerAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[HealthRequestParser.MaxHeadBytes];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                return (new HealthResponse(431, HealthAnswers.JsonType, "{\"error\":\"the request head is longer than 8192 bytes\"}\n", null), false);
            }
            int read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("the client closed the connection before the end of its request");
            }
            length += read;
            int head = HealthRequestParser.HeadLength(buffer.AsSpan(0, length));
            if (head < 0)
            {
                continue;
            }
            HealthRequest? request = HealthRequestParser.Parse(buffer.AsSpan(0, head), out var error);
            if (request is null)
            {
                return (new HealthResponse(error!.Value.Status, HealthAnswers.JsonType,
                    System.Text.Json.JsonSerializer.Serialize(new { error = error.Value.Reason }) + "\n", null), false);
            }
            return (_answer(request), request.Method == "HEAD");
        }
    }

    public static byte[] Serialize(HealthResponse response, bool headOnly)
    {
        byte[] body = Encoding.UTF8.GetBytes(response.Body);
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(HealthResponse.ReasonPhrase(response.Status)).Append("\r\n");
        head.Append("Content-Type: ").Append(response.ContentType).Append("\r\n");
        head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        head.Append("Cache-Control: no-store\r\n");
        head.Append("Connection: close\r\n");
        if (response.SnapshotAgeSeconds is { } age)
        {
            head.Append("X-PgHa-Snapshot-Age: ").Append(age.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n");
        }
        foreach (var (name, value) in response.ExtraHeaders)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        head.Append("\r\n");
        byte[] headBytes = Encoding.ASCII.GetBytes(head.ToString());
        return headOnly ? headBytes : [.. headBytes, .. body];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false);
        }
        _stop.Dispose();
        _certificate?.Dispose();
    }
}
