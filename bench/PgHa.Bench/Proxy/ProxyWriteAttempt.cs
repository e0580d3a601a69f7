namespace PgHa.Bench.Proxy;

/// <summary>
/// One INSERT through HAProxy's read-write port: when it was sent and answered (<see cref="Measurement.BenchClock"/>
/// seconds), the port of the server that committed it (inet_server_port()), or why it failed.
/// </summary>
public sealed record ProxyWriteAttempt(long Seq, double SentAt, double AnsweredAt, int? ServerPort, string? Error)
{
    public bool Ok => ServerPort is not null;
}
