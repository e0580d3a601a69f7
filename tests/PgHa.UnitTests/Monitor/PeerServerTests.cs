using System.Net;
using System.Net.Sockets;
using System.Text;
using PgHa.Core;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>
/// The monitor's endpoint on a real loopback socket: signed requests answered, unsigned ones (but a status)
/// refused before they reach the monitor, replies checked against the node asked, and the bounds on sizes and
/// connections.
/// </summary>
public sealed class PeerServerTests : IAsyncLifetime
{
    private static readonly ClusterSecret Secret = ClusterSecret.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray());
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly List<PeerRequest> _handled = [];
    private readonly List<string> _refusals = [];
    private PeerServer _server = null!;

    public Task InitializeAsync()
    {
        _server = new PeerServer(new IPEndPoint(IPAddress.Loopback, 0), new PeerSigner(Secret, 3), _ => new PeerStatus { NodeId = 3, NodeName = "node3", Term = 4 },
            (request, caller) =>
            {
                lock (_handled)
                {
                    _handled.Add(request);
                }
                return Task.FromResult($$"""{"ok":true,"from":{{caller.NodeId}}}""");
            },
            message =>
            {
                lock (_refusals)
                {
                    _refusals.Add(message);
                }
            });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private PeerClient Client(ClusterSecret? secret, int self = 2) => new(IPAddress.Loopback, Patience, new PeerSigner(secret, self));

    [Fact]
    public async Task ASignedPauseIsHandledAndItsReplyTaken()
    {
        string? reply = await Client(Secret, self: 0).AskAsync(3, _server.Endpoint, new PeerRequest { Op = PeerRequest.PauseOp }, CancellationToken.None);

        Assert.Equal("""{"ok":true,"from":0}""", reply);
        Assert.Single(_handled);
    }

    [Fact]
    public async Task AnUnsignedPauseNeverReachesTheMonitor()
    {
        string? reply = await Client(null, self: 0).AskAsync(3, _server.Endpoint, new PeerRequest { Op = PeerRequest.PauseOp }, CancellationToken.None);

        Assert.Contains("unsigned 'pause'", (string?)System.Text.Json.Nodes.JsonNode.Parse(reply!)!["error"]);
        Assert.Empty(_handled);
        Assert.Contains(_refusals, r => r.Contains("unsigned 'pause'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnsignedStatusIsAnswered()
    {
        PeerStatus? status = await Client(null, self: 0).StatusAsync(3, _server.Endpoint, CancellationToken.None);

        Assert.Equal(4, status?.Term);
    }

    [Fact]
    public async Task AStatusFromAnotherNodeThanTheOneAskedIsNotTaken()
    {
        var refused = new List<string>();
        var client = new PeerClient(IPAddress.Loopback, Patience, new PeerSigner(Secret, 2), refused.Add);

        PeerStatus? status = await client.StatusAsync(4, _server.Endpoint, CancellationToken.None);

        Assert.Null(status);
        Assert.Contains(refused, r => r.Contains("not from node 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AReplyInAnotherSecretIsNotTaken()
    {
        var other = ClusterSecret.FromBytes(Enumerable.Repeat((byte)8, 32).ToArray());

        Assert.Null(await Client(other).StatusAsync(3, _server.Endpoint, CancellationToken.None));
    }

    [Fact]
    public async Task AnOversizedRequestIsDroppedUnanswered()
    {
        using var socket = await ConnectAsync();
        byte[] huge = Encoding.ASCII.GetBytes(new string('x', PeerServer.MaxMessageBytes + 10) + "\n");
        try
        {
            await socket.SendAsync(huge, SocketFlags.None);
        }
        catch (SocketException)
        {
            // The server may close while the rest is still being sent: as unanswered as it gets.
        }

        Assert.Equal(string.Empty, await ReadToEndAsync(socket));
        Assert.Contains(_refusals, r => r.Contains("longer than", StringComparison.Ordinal));
        Assert.Empty(_handled);
    }

    [Fact]
    public async Task ConnectionsBeyondTheLimitFromOneAddressAreClosedAtOnce()
    {
        var held = new List<Socket>();
        try
        {
            for (int i = 0; i < PeerServer.MaxConnectionsPerAddress; i++)
            {
                held.Add(await ConnectAsync());
            }
            Assert.True(await UntilAsync(() => _server.OpenConnections == PeerServer.MaxConnectionsPerAddress), "the held connections were not all taken");

            using Socket extra = await ConnectAsync();
            string answer = await ReadToEndAsync(extra);

            Assert.Equal(string.Empty, answer);
            Assert.Equal(PeerServer.MaxConnectionsPerAddress, _server.OpenConnections); // the held ones were still being served
            Assert.Contains(_refusals, r => r.Contains("Refused a connection", StringComparison.Ordinal));
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
        // A slow client holds its slot for the read timeout at most.
        Assert.True(await UntilAsync(() => _server.OpenConnections == 0), "slots were not given back");
        Assert.NotNull(await Client(Secret).StatusAsync(3, _server.Endpoint, CancellationToken.None));
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.Endpoint);
        return socket;
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        }
        catch (SocketException)
        {
            // reset by the server: closed, unanswered
        }
        return text.ToString();
    }

    private static async Task<bool> UntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Patience)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }
}
