using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The monitor's endpoint: listens on the node's own address and monitor port, reads one request line
/// per connection and writes one reply line. Anyone may ask for the status (Get-PgHaMonitor runs from a
/// DBA's machine); votes and announcements are taken only from the addresses of registered members,
/// so nobody else can spend a member's vote or point it at a false primary.
/// </summary>
internal sealed class PeerServer : IAsyncDisposable
{
    private const int MaxLineBytes = 4096;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    private readonly TcpListener _listener;
    private readonly Func<PeerStatus> _status;
    private readonly Func<PeerRequest, IPAddress, Task<string>> _handle;
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    /// <param name="status">The current status (cheap: a snapshot).</param>
    /// <param name="handle">Answers a vote or announcement from a member (the serialized reply).</param>
    public PeerServer(IPEndPoint endpoint, Func<PeerStatus> status, Func<PeerRequest, IPAddress, Task<string>> handle)
    {
        _listener = new TcpListener(endpoint);
        _status = status;
        _handle = handle;
    }

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

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
            _ = ServeAsync(client, ct);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        using (client)
        {
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                deadline.CancelAfter(ReadTimeout);
                client.NoDelay = true;
                NetworkStream stream = client.GetStream();
                string? line = await ReadLineAsync(stream, deadline.Token).ConfigureAwait(false);
                if (line is null)
                {
                    return;
                }
                string reply = await AnswerAsync(line, ((IPEndPoint)client.Client.RemoteEndPoint!).Address).ConfigureAwait(false);
                await stream.WriteAsync(Encoding.UTF8.GetBytes(reply + "\n"), deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A peer that went away or took too long: it will ask again.
            }
        }
    }

    private async Task<string> AnswerAsync(string line, IPAddress from)
    {
        PeerRequest request;
        try
        {
            request = PeerJson.Deserialize<PeerRequest>(line);
        }
        catch (JsonException ex)
        {
            return PeerJson.Serialize(new { error = $"not a PgHa monitor request: {ex.Message}" });
        }
        return request.Op == PeerRequest.StatusOp
            ? PeerJson.Serialize(_status())
            : await _handle(request, from).ConfigureAwait(false);
    }

    private static async Task<string?> ReadLineAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxLineBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            int newline = Array.IndexOf(buffer, (byte)'\n', length, read);
            length += read;
            if (newline >= 0)
            {
                return Encoding.UTF8.GetString(buffer, 0, newline);
            }
        }
        return length == 0 ? null : Encoding.UTF8.GetString(buffer, 0, length);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
