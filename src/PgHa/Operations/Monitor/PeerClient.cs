using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Asks another monitor one question. Connections leave from this node's own address when it has one,
/// so that a node cut off from the network (by a firewall rule on its address) is cut off in both
/// directions, as a real network partition would.
/// </summary>
internal sealed class PeerClient
{
    private readonly IPAddress? _localAddress;
    private readonly TimeSpan _timeout;

    public PeerClient(IPAddress? localAddress, TimeSpan timeout)
    {
        _localAddress = localAddress;
        _timeout = timeout;
    }

    /// <summary>The reply line, or null when the monitor could not be reached or did not answer in time.</summary>
    public async Task<string?> AskAsync(IPEndPoint target, PeerRequest request, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (_localAddress is not null && _localAddress.AddressFamily == target.AddressFamily)
            {
                socket.Bind(new IPEndPoint(_localAddress, 0));
            }
            await socket.ConnectAsync(target, deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.UTF8.GetBytes(PeerJson.Serialize(request) + "\n"), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            var reply = new MemoryStream();
            var buffer = new byte[4096];
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                reply.Write(buffer, 0, read);
                if (Array.IndexOf(buffer, (byte)'\n', 0, read) >= 0)
                {
                    break;
                }
            }
            string text = Encoding.UTF8.GetString(reply.ToArray()).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            ct.ThrowIfCancellationRequested();
            return null;
        }
    }

    public async Task<PeerStatus?> StatusAsync(IPEndPoint target, CancellationToken ct)
    {
        string? line = await AskAsync(target, new PeerRequest { Op = PeerRequest.StatusOp }, ct).ConfigureAwait(false);
        return TryParse<PeerStatus>(line);
    }

    public static T? TryParse<T>(string? line) where T : class
    {
        if (line is null)
        {
            return null;
        }
        try
        {
            return PeerJson.Deserialize<T>(line);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
