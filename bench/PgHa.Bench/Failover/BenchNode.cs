using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>A node of a failover benchmark cluster: the name PgHa or repmgr knows it by, and its server.</summary>
public sealed record BenchNode(string Name, PostgresServer Server)
{
    /// <summary>host:port as a standby's pg_stat_wal_receiver names its upstream (sender_host:sender_port).</summary>
    public string Endpoint => $"{Server.Address}:{Server.Port}";
}
