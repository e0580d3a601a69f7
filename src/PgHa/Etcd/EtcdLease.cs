using System.Diagnostics;

namespace PgHa.Etcd;

/// <summary>
/// A lease etcd granted or renewed. GrantedAt is a Stopwatch timestamp taken before the request was sent,
/// so GrantedAt + Ttl is never later than the moment etcd lets the lease end: a holder that counts from
/// it stops trusting the lease before etcd does.
/// </summary>
internal sealed record EtcdLease(long Id, TimeSpan Ttl, long GrantedAt)
{
    /// <summary>How much of the lease is left by the caller's own clock; zero once it may have ended.</summary>
    public TimeSpan RemainingAt(long timestamp)
    {
        TimeSpan left = Ttl - Stopwatch.GetElapsedTime(GrantedAt, timestamp);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
