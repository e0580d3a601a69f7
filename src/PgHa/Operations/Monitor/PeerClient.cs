using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Asks another monitor one question, signed with the cluster secret (<see cref="PeerSigner"/>), and takes the
/// reply only when it is signed by the node that was asked and answers this very request. Connections leave
/// from this node's own address when it has one, so that a node cut off from the network (by a firewall rule
/// on its address) is cut off in both directions, as a real network partition would.
/// </summary>
internal sealed class PeerClient
{
    private readonly IPAddress? _localAddress;
    private readonly TimeSpan _timeout;
    private readonly PeerSigner _signer;
    private readonly Action<string>? _refused;

    /// <param name="refused">Told why a reply was not taken (a monitor logs it); never given the secret.</param>
    public PeerClient(IPAddress? localAddress, TimeSpan timeout, PeerSigner signer, Action<string>? refused = null)
    {
        _localAddress = localAddress;
        _timeout = timeout;
        _signer = signer;
        _refused = refused;
    }

    /// <summary>The same client with another answer timeout.</summary>
    public PeerClient WithTimeout(TimeSpan timeout) => new(_localAddress, timeout, _signer, _refused);

    /// <summary>
    /// The reply's body (the JSON of the answer), or null when the monitor could not be reached, did not answer
    /// in time, or its reply was not taken (wrong signer, not an answer to this request, too long).
    /// </summary>
    public async Task<string?> AskAsync(int nodeId, IPEndPoint target, PeerRequest request, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var (line, nonce) = _signer.Request(request, nodeId);
        string? reply;
        try
        {
            if (_localAddress is not null && _localAddress.AddressFamily == target.AddressFamily)
            {
                socket.Bind(new IPEndPoint(_localAddress, 0));
            }
            await socket.ConnectAsync(target, deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.UTF8.GetBytes(line + "\n"), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            reply = await ReadReplyAsync(socket, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            ct.ThrowIfCancellationRequested();
            return null;
        }
        if (reply is null)
        {
            return null;
        }
        PeerReplyCheck check = _signer.CheckReply(reply, nodeId, nonce);
        if (check.Problem is not null)
        {
            _refused?.Invoke($"The reply of node {nodeId}'s monitor at {target} to '{request.Op}' was not taken: {check.Problem}.");
        }
        return check.Body;
    }

    /// <summary>Reads one line of at most <see cref="PeerServer.MaxMessageBytes"/>; a longer reply is dropped whole, never taken in part.</summary>
    private async Task<string?> ReadReplyAsync(Socket socket, CancellationToken ct)
    {
        var reply = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            int newline = Array.IndexOf(buffer, (byte)'\n', 0, read);
            reply.Write(buffer, 0, newline >= 0 ? newline : read);
            if (reply.Length > PeerServer.MaxMessageBytes)
            {
                _refused?.Invoke($"A reply longer than {PeerServer.MaxMessageBytes} bytes was dropped.");
                return null;
            }
            if (newline >= 0)
            {
                break;
            }
        }
        string text = Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length).Trim();
        return text.Length == 0 ? null : text;
    }

    /// <summary>Node <paramref name="nodeId"/>'s status, only when it is that node's own (the node id inside is checked too).</summary>
    public async Task<PeerStatus?> StatusAsync(int nodeId, IPEndPoint target, CancellationToken ct)
    {
        string? body = await AskAsync(nodeId, target, new PeerRequest { Op = PeerRequest.StatusOp }, ct).ConfigureAwait(false);
        PeerStatus? status = TryParse<PeerStatus>(body);
        if (status is not null && status.NodeId != nodeId)
        {
            _refused?.Invoke($"The monitor at {target} reports itself as node {status.NodeId}, not node {nodeId}: its status is not taken.");
            return null;
        }
        return status;
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
