using PgHa.Conninfo;

namespace PgHa.Operations;

/// <summary>
/// Where a conninfo points (first host or hostaddr, and port), to tell which registered node a standby's
/// WAL receiver is connected to (pg_stat_wal_receiver.sender_host / sender_port).
/// </summary>
internal readonly record struct NodeEndpoint(string Host, int Port)
{
    public const int DefaultPort = 5432;

    public static NodeEndpoint Of(ConnectionInfo info)
    {
        string host = FirstOf(info["hostaddr"]) ?? FirstOf(info.Host) ?? "localhost";
        int port = int.TryParse(FirstOf(info["port"]), out int p) ? p : DefaultPort;
        return new NodeEndpoint(host, port);
    }

    public bool Matches(string? host, int? port)
    {
        if (host is null || port is null || port.Value != Port)
        {
            return false;
        }
        return string.Equals(host, Host, StringComparison.OrdinalIgnoreCase);
    }

    public override string ToString() => $"{Host}:{Port}";

    private static string? FirstOf(string? list)
    {
        if (string.IsNullOrEmpty(list))
        {
            return null;
        }
        int comma = list.IndexOf(',');
        return comma < 0 ? list : list[..comma];
    }
}
