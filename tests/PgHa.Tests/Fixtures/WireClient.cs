using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PgHa.Tests.Fixtures;

/// <summary>
/// Just enough of the PostgreSQL wire protocol (v3, trust authentication, simple query) for probes that
/// must run every 50 ms against several servers: a psql process per query would cost more than the
/// interval. The test project cannot reference Npgsql (the module keeps it in its own load context, and
/// the tests prove the module loads beside an older Microsoft.Extensions.* in the default one).
/// </summary>
public static class WireClient
{
    /// <summary>The first column of the first row as text (null for SQL NULL or no row).</summary>
    /// <exception cref="WireException">Connection refused, timed out, or the server reported an error.</exception>
    public static Task<string?> QueryScalarAsync(string host, int port, string database, string sql, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        QueryScalarAsync(new DnsEndPoint(host, port), database, sql, timeout, cancellationToken);

    /// <summary>The same through the server's Unix socket (socket directory and port): it answers whatever a firewall does to its address.</summary>
    public static Task<string?> QueryScalarOverSocketAsync(string socketDirectory, int port, string database, string sql, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        QueryScalarAsync(new UnixDomainSocketEndPoint(Path.Combine(socketDirectory, $".s.PGSQL.{port}")), database, sql, timeout, cancellationToken);

    private static async Task<string?> QueryScalarAsync(EndPoint endpoint, string database, string sql, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await SendStartupAsync(stream, database, deadline.Token);
            await ReadUntilReadyAsync(stream, deadline.Token, startup: true);
            await SendAsync(stream, (byte)'Q', Encoding.UTF8.GetBytes(sql + "\0"), deadline.Token);
            string? value = await ReadUntilReadyAsync(stream, deadline.Token);
            await SendAsync(stream, (byte)'X', [], deadline.Token);
            return value;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new WireException($"{endpoint}: {ex.Message}", ex);
        }
    }

    /// <summary>true: a writable primary; false: in recovery; null: not reachable (stopped, starting, shutting down).</summary>
    public static async Task<bool?> IsWritableOverSocketAsync(string socketDirectory, int port, TimeSpan timeout)
    {
        try
        {
            return await QueryScalarOverSocketAsync(socketDirectory, port, "postgres", "SELECT NOT pg_is_in_recovery()", timeout) == "t";
        }
        catch (WireException)
        {
            return null;
        }
    }

    internal static async Task SendStartupAsync(NetworkStream stream, string database, CancellationToken ct)
    {
        byte[] parameters = Encoding.UTF8.GetBytes($"user\0{PostgresServer.Superuser}\0database\0{database}\0application_name\0pgha-tests-probe\0\0");
        var message = new byte[8 + parameters.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), 196608); // protocol 3.0
        parameters.CopyTo(message, 8);
        await stream.WriteAsync(message, ct);
    }

    internal static async Task SendAsync(NetworkStream stream, byte type, byte[] body, CancellationToken ct)
    {
        var message = new byte[5 + body.Length];
        message[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + body.Length);
        body.CopyTo(message, 5);
        await stream.WriteAsync(message, ct);
    }

    /// <summary>Reads messages until ReadyForQuery; returns the first DataRow's first column; throws on ErrorResponse.</summary>
    internal static async Task<string?> ReadUntilReadyAsync(NetworkStream stream, CancellationToken ct, bool startup = false)
    {
        string? first = null;
        bool haveRow = false;
        string? error = null;
        var header = new byte[5];
        while (true)
        {
            await stream.ReadExactlyAsync(header, ct);
            int length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4;
            var body = new byte[length];
            await stream.ReadExactlyAsync(body, ct);
            switch ((char)header[0])
            {
                case 'R' when BinaryPrimitives.ReadInt32BigEndian(body) != 0:
                    throw new WireException("the server asked for a password; the test servers trust loopback");
                case 'D' when !haveRow:
                    haveRow = true;
                    int columnLength = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(2));
                    first = columnLength < 0 ? null : Encoding.UTF8.GetString(body, 6, columnLength);
                    break;
                case 'E':
                    error = ErrorMessage(body);
                    break;
                case 'Z':
                    return error is null ? first : throw new WireException(error);
            }
            if (error is not null && startup)
            {
                throw new WireException(error); // the server closes the connection after a startup error
            }
        }
    }

    private static string ErrorMessage(byte[] body)
    {
        int i = 0;
        string? message = null;
        while (i < body.Length && body[i] != 0)
        {
            char field = (char)body[i++];
            int end = Array.IndexOf(body, (byte)0, i);
            string value = Encoding.UTF8.GetString(body, i, end - i);
            i = end + 1;
            if (field == 'M')
            {
                message = value;
            }
        }
        return message ?? "server error";
    }
}

public sealed class WireException : Exception
{
    public WireException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
