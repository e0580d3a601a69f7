using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PgHa.Operations.Monitor;
using PgHa.Operations.Monitor.Health;
using Xunit;

namespace PgHa.UnitTests.Monitor.Health;

/// <summary>The HTTP server on a loopback socket: framing, limits, HEAD, and TLS from PEM files.</summary>
public sealed class HealthServerTests
{
    private static readonly MonitorSnapshot Primary = new()
    {
        TakenAtMs = Environment.TickCount64,
        NodeId = 1,
        NodeName = "node1",
        Role = MonitorRole.Primary,
        ServerRunning = true,
        InRecovery = false,
        Term = 1,
        Leader = "node1",
        IsLeader = true,
        LeaseExpiresMs = long.MaxValue,
    };

    private static HealthServer Start(X509Certificate2? certificate = null)
    {
        var server = new HealthServer(new IPEndPoint(IPAddress.Loopback, 0), certificate,
            request => HealthAnswers.Answer(request, Primary, Environment.TickCount64, TimeSpan.FromSeconds(60)));
        server.Start();
        return server;
    }

    private static async Task<string> RawAsync(IPEndPoint endpoint, byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Get_StatusHeadersBody_ThenClose()
    {
        await using HealthServer server = Start();
        using var http = new HttpClient();
        HttpResponseMessage response = await http.GetAsync($"http://{server.Endpoint}/primary");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(double.TryParse(response.Headers.GetValues("X-PgHa-Snapshot-Age").Single(), System.Globalization.CultureInfo.InvariantCulture, out double age) && age >= 0);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("\"role\":\"primary\"", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync($"http://{server.Endpoint}/replica")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync($"http://{server.Endpoint}/primary", new StringContent("x"))).StatusCode);
    }

    [Fact]
    public async Task Head_HeadersOnly()
    {
        await using HealthServer server = Start();
        string answer = await RawAsync(server.Endpoint, Encoding.ASCII.GetBytes("HEAD /primary HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer);
        Assert.EndsWith("\r\n\r\n", answer);
        Assert.Contains("Connection: close\r\n", answer);
    }

    [Fact]
    public async Task OversizedHead_431()
    {
        await using HealthServer server = Start();
        byte[] request = Encoding.ASCII.GetBytes("GET /primary HTTP/1.1\r\nX-Filler: " + new string('a', HealthRequestParser.MaxHeadBytes) + "\r\n\r\n");
        string answer = await RawAsync(server.Endpoint, request);
        Assert.StartsWith("HTTP/1.1 431 ", answer);
    }

    [Fact]
    public async Task Garbage_400()
    {
        await using HealthServer server = Start();
        string answer = await RawAsync(server.Endpoint, Encoding.ASCII.GetBytes("HELLO\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400 ", answer);
    }

    [Fact]
    public async Task IdleConnections_AreBoundedAndTimedOut()
    {
        await using HealthServer server = Start();
        var idle = new List<TcpClient>();
        try
        {
            for (int i = 0; i < HealthServer.MaxConnections; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(server.Endpoint);
                idle.Add(client);
            }
            // Every slot is held by a client that sends nothing: one more is closed without an answer.
            string refused = "";
            bool closedAtOnce = await WaitAsync(async () =>
            {
                try
                {
                    refused = await RawAsync(server.Endpoint, Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\n\r\n"));
                }
                catch (Exception ex) when (ex is IOException or SocketException)
                {
                    return true; // closed before the request was even sent
                }
                return refused.Length == 0;
            });
            Assert.True(closedAtOnce, $"A connection over the limit was answered: {refused}");
            // The idle ones are closed after the read timeout, which frees their slots.
            foreach (TcpClient client in idle)
            {
                int read = await client.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(HealthServer.ReadTimeout * 5);
                Assert.Equal(0, read);
            }
            bool answered = await WaitAsync(async () => (await RawAsync(server.Endpoint, Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\n\r\n"))).StartsWith("HTTP/1.1 200", StringComparison.Ordinal));
            Assert.True(answered, "No answer once the idle connections were closed.");
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }

    [Fact]
    public async Task Tls_FromPemFiles()
    {
        string directory = Directory.CreateTempSubdirectory("pgha-tls-").FullName;
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=node1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            using X509Certificate2 self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            string certFile = Path.Combine(directory, "node1.crt");
            string keyFile = Path.Combine(directory, "node1.key");
            await File.WriteAllTextAsync(certFile, self.ExportCertificatePem());
            await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());

            await using HealthServer server = Start(HealthServer.LoadCertificate(certFile, keyFile));
            Assert.True(server.Tls);
            using var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == self.Thumbprint,
            };
            using var https = new HttpClient(handler);
            HttpResponseMessage response = await https.GetAsync($"https://{server.Endpoint}/primary");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // Plain HTTP to a TLS endpoint gets no answer (the handshake fails), never a 200.
            using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await Assert.ThrowsAnyAsync<Exception>(() => plain.GetAsync($"http://{server.Endpoint}/primary"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
