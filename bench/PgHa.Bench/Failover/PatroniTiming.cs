using System.Globalization;

namespace PgHa.Bench.Failover;

/// <summary>
/// Patroni's timing, as its dynamic configuration (bootstrap.dcs) takes it, in whole seconds: ttl (the leader key's
/// lease), loop_wait (the HA loop's sleep), retry_timeout (etcd and PostgreSQL requests before the primary demotes) and
/// primary_start_timeout (how long a crashed primary is restarted in place before the cluster fails over; 0 fails over
/// at once when another member can take over).
/// </summary>
public sealed record PatroniTiming(int Ttl, int LoopWait, int RetryTimeout, int PrimaryStartTimeout)
{
    /// <summary>Patroni 3.0.2's own defaults (patroni/config.py): ttl 30, loop_wait 10, retry_timeout 10, primary_start_timeout 300.</summary>
    public static PatroniTiming Defaults { get; } = new(30, 10, 10, 300);

    /// <summary>
    /// As close to PgHa's defaults with etcd as Patroni's settings go: ttl 4 (PgHa's leader lease, fence timeout 3.5 s plus
    /// 0.5 s, rounded up), loop_wait 1 (PgHa's monitor interval), retry_timeout 2 (PgHa's etcd request deadline, half the
    /// fence timeout, 1.75 s, in Patroni's whole seconds), and primary_start_timeout 0: PgHa fails a crashed primary over at
    /// once (its monitor fences the data directory and resigns the key), it never restarts it in place.
    /// <para>
    /// retry_timeout 1 passes Patroni 3.0.2's validation but no member can ever take the leader key on etcd3: Etcd3.
    /// attempt_to_acquire_leader raises "attempt_to_acquire_leader timeout" once the lease refresh leaves less than 1 s of
    /// the retry deadline, which at 1 s is always (tried: node1's key released after the kill, then "Error communicating
    /// with DCS" on every member, no primary). At 2, ttl 4 is below Patroni's documented rule ttl >= loop_wait + 2 x
    /// retry_timeout (5), which 3.0.2 does not enforce.
    /// </para>
    /// </summary>
    public static PatroniTiming PgHaEquivalent { get; } = new(4, 1, 2, 0);

    /// <summary>For the variants' labels: "ttl 30, loop_wait 10, retry_timeout 10, primary_start_timeout 300".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"ttl {Ttl}, loop_wait {LoopWait}, retry_timeout {RetryTimeout}, primary_start_timeout {PrimaryStartTimeout}");
}
