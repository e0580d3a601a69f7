using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PgHa.Tests.Fixtures;

/// <summary>
/// One connection of <see cref="WireClient"/>'s protocol subset kept open between queries, for probes that ask
/// every 50 ms: a new connection per query is a new backend process on the server, which on a loaded 2-core
/// machine costs more than the interval (rounds of three stretched to 150-300 ms in the failover benchmark).
/// An error the server reports (e.g. a write refused in recovery) leaves the connection usable; anything else
/// (refused, reset, closed by a dying server, timed out) drops it, and the next query connects again.
/// Not thread-safe: one query at a time.
/// </summary>
public sealed class WireSession : IAsyncDisposable
{
    private readonly EndPoint _endpoint;
    private readonly string _database;
    private Socket? _socket;
    private NetworkStream? _stream;

    private WireSession(EndPoint endpoint, string database)
    {
        _endpoint = endpoint;
        _database = database;
    }

    /// <summary>A session through the server's Unix socket (socket directory and port): it answers whatever a firewall does to its address.</summary>
    public static WireSession OverSocket(string socketDirectory, int port, string database) =>
        new(new UnixDomainSocketEndPoint(Path.Combine(socketDirectory, $".s.PGSQL.{port}")), database);

    /// <summary>A session over TCP (a server, or a proxy in front of servers: HAProxy picks the server when it connects).</summary>
    public static WireSession OverTcp(string host, int port, string database) => new(new DnsEndPoint(host, port), database);

    /// <summary>The first column of the first row as text (null for SQL NULL or no row), connecting first when needed.</summary>
    /// <exception cref="WireException">Not connected and could not connect, the connection broke, timed out, or the server reported an error.</exception>
    public async Task<string?> QueryScalarAsync(string sql, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (_stream is null)
            {
                await ConnectAsync(deadline.Token);
            }
            await WireClient.SendAsync(_stream!, (byte)'Q', Encoding.UTF8.GetBytes(sql + "\0"), deadline.Token);
            return await WireClient.ReadUntilReadyAsync(_stream!, deadline.Token);
        }
        catch (WireException) when (_stream is not null)
        {
            throw; // the server's own error, read up to ReadyForQuery: the connection is still in step
        }
        catch (Exception ex) when (ex is WireException or SocketException or IOException or OperationCanceledException)
        {
            Drop(); // mid-message or broken: never reused
            cancellationToken.ThrowIfCancellationRequested();
            throw ex as WireException ?? new WireException($"{_endpoint}: {ex.Message}", ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        Drop();
        return ValueTask.CompletedTask;
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        var socket = _endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_endpoint, ct);
            var stream = new NetworkStream(socket, ownsSocket: false);
            await WireClient.SendStartupAsync(stream, _database, ct);
            await WireClient.ReadUntilReadyAsync(stream, ct, startup: true);
            _socket = socket;
            _stream = stream;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Drop()
    {
        _stream?.Dispose();
        _socket?.Dispose();
        _stream = null;
        _socket = null;
    }
}
