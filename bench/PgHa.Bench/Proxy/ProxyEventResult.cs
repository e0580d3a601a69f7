namespace PgHa.Bench.Proxy;

/// <summary>
/// One switchover or kill -9 failover as the direct writer and the writer through HAProxy saw it. Seconds,
/// null when the round did not get that far. <see cref="Failure"/> says why a round stopped.
/// </summary>
public sealed record ProxyEventResult(
    int Round,
    string Event,
    string Load,
    string? NewPrimary,
    double? DirectGap,
    double? Primary200After,
    double? DirectFirstWriteAfter,
    double? ProxyFirstWriteAfter,
    double? ProxyOutage,
    double? ProxyGap,
    int FailedProxyWrites,
    int MaxWritableAtOnce,
    string? Failure)
{
    /// <summary>HAProxy's check interval in examples/haproxy/haproxy.cfg (default-server inter 1s): the target's allowance.</summary>
    public const double CheckInterval = 1.0;

    /// <summary>The target: the outage through HAProxy is at most the direct write gap plus one check interval.</summary>
    public bool? Met => ProxyOutage is { } outage && DirectGap is { } gap ? outage <= gap + CheckInterval : null;
}
