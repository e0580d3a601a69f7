using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The monitor's endpoint: listens on the node's own address and monitor port, reads one request line per
/// connection and writes one reply line, every request checked and every reply signed by <see cref="PeerSigner"/>.
/// Anyone may ask for the status, unsigned (Get-PgHaMonitor runs from a DBA's machine); everything else must
/// be signed with the cluster secret. Bounded so that nobody can tie it up: a request or reply of at most
/// <see cref="MaxMessageBytes"/>, at most <see cref="MaxConnections"/> connections at once
/// (<see cref="MaxConnectionsPerAddress"/> from one address, so that one host cannot take every slot from the
/// members), and <see cref="ReadTimeout"/> for a whole request, so a slow client holds a slot that long at most.
/// </summary>
internal sealed class PeerServer : IAsyncDisposable
{
    /// <summary>The longest line taken or sent: a status is under 1 KiB; anything near this is not a monitor speaking.</summary>
    public const int MaxMessageBytes = 64 * 1024;

    /// <summary>Connections served at once: a cluster of 9 nodes and a witness asks a few at a time; more are refused (closed at once).</summary>
    public const int MaxConnections = 32;

    /// <summary>Connections served at once from one address.</summary>
    public const int MaxConnectionsPerAddress = 8;

    /// <summary>The whole request must arrive in this time; the reply must be written in it again.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    private readonly TcpListener _listener;
    private readonly PeerSigner _signer;
    private readonly Func<PeerCaller, PeerStatus> _status;
    private readonly Func<PeerRequest, PeerCaller, Task<string>> _handle;
    private readonly Action<string>? _refused;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private int _open;
    private Task? _accepting;

    /// <param name="status">The current status (cheap: a snapshot).</param>
    /// <param name="handle">Answers a signed request other than a status (the serialized reply body).</param>
    /// <param name="refused">Told why a request or a connection was refused (a monitor logs it).</param>
    public PeerServer(IPEndPoint endpoint, PeerSigner signer, Func<PeerCaller, PeerStatus> status, Func<PeerRequest, PeerCaller, Task<string>> handle, Action<string>? refused = null)
    {
        _listener = new TcpListener(endpoint);
        _signer = signer;
        _status = status;
        _handle = handle;
        _refused = refused;
    }

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Connections being served now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

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
            IPAddress from = Normalize(((IPEndPoint)client.Client.RemoteEndPoint!).Address);
            if (!TryTakeSlot(from))
            {
                _refused?.Invoke($"Refused a connection from {from}: {MaxConnections} connections at once, {MaxConnectionsPerAddress} from one address, are served at most.");
                client.Dispose();
                continue;
            }
            _ = ServeAsync(client, from, ct);
        }
    }

    private bool TryTakeSlot(IPAddress from)
    {
        lock (_perAddress)
        {
            int fromThere = _perAddress.GetValueOrDefault(from);
            if (_open >= MaxConnections || fromThere >= MaxConnectionsPerAddress)
            {
                return false;
            }
            _perAddress[from] = fromThere + 1;
            _open++;
            return true;
        }
    }

    private void ReleaseSlot(IPAddress from)
    {
        lock (_perAddress)
        {
            int left = _perAddress.GetValueOrDefault(from) - 1;
            if (left <= 0)
            {
                _perAddress.Remove(from);
            }
            else
            {
                _perAddress[from] = left;
            }
            _open--;
        }
    }

    private async Task ServeAsync(TcpClient client, IPAddress from, CancellationToken ct)
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
                    _refused?.Invoke($"Dropped a request from {from}: empty, or longer than {MaxMessageBytes} bytes.");
                    return;
                }
                string reply = await AnswerAsync(line, from).ConfigureAwait(false);
                using var writing = CancellationTokenSource.CreateLinkedTokenSource(ct);
                writing.CancelAfter(ReadTimeout);
                await stream.WriteAsync(Encoding.UTF8.GetBytes(reply + "\n"), writing.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A peer that went away or took too long: it will ask again.
            }
            finally
            {
                ReleaseSlot(from);
            }
        }
    }

    private async Task<string> AnswerAsync(string line, IPAddress from)
    {
        PeerRequestCheck check = _signer.CheckRequest(line);
        string body;
        if (check.Request is not { } request)
        {
            _refused?.Invoke($"Refused a request from {from} (as node {check.From}): {check.Problem}.");
            body = PeerJson.Serialize(new { error = check.Problem });
            if (check.Nonce is null)
            {
                return body; // nothing to bind a signed reply to
            }
        }
        else
        {
            var caller = new PeerCaller(check.From, check.Signed, from);
            body = request.Op == PeerRequest.StatusOp
                ? PeerJson.Serialize(_status(caller))
                : await _handle(request, caller).ConfigureAwait(false);
        }
        return _signer.Reply(body, check.Nonce!, check.From);
    }

    /// <summary>One line of at most <see cref="MaxMessageBytes"/>; null for nothing or for more (never a truncated request).</summary>
    private static async Task<string?> ReadLineAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxMessageBytes + 1];
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
                return newline == 0 ? null : Encoding.UTF8.GetString(buffer, 0, newline);
            }
        }
        return length == 0 || length > MaxMessageBytes ? null : Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private int _disposed;

    /// <summary>Stops listening; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _stop.Cancel();
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
