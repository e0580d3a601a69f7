using PgHa.Core;

namespace PgHa.Operations.Monitor;

/// <summary>
/// How a monitor watches and when it acts. The defaults give a failover in about 8 s when the primary
/// becomes unreachable, about 2 s when its server dies under a running monitor, and can never produce
/// two writable primaries. That rests on the ORDER of three times, checked by <see cref="Validate"/>:
/// <list type="bullet">
/// <item>a member vouches for the primary (tells it "I see you") only while its last successful check is
/// younger than <see cref="SupportFreshness"/> (interval + 0.5 s);</item>
/// <item>the primary stops taking writes once no majority has vouched for it for <see cref="FenceTimeout"/>
/// (3.5 s; checked every <see cref="PrimaryCheckInterval"/>);</item>
/// <item>a member votes the primary out only when no check has reached it for the whole
/// <see cref="DetectionWindow"/> (7 x 1 s), or when it no longer sees it and last vouched for it
/// <see cref="VoteAfterLastVouch"/> ago (3.5 + 1 s; see <see cref="LeaderWatch.HasFailed"/>), or sooner when the
/// primary's own monitor confirms that its server is down and fenced (it waits <see cref="ConfirmedDownGrace"/>
/// first, so a quick restart does not count).</item>
/// </list>
/// Freshness + one answer's time + fence timeout + one primary round (its interval and the wait for answers
/// that do not come) ends 0.75 s before a majority can vote: by then the old primary has fenced itself.
/// A blip shorter than 2 s changes nothing.
/// </summary>
internal sealed record MonitorSettings
{
    /// <summary>Automatic: elect and promote; Manual: watch, vote, fence, but never promote by itself. Default Automatic (Start-PgHaMonitor is how a DBA asks for automatic failover).</summary>
    public PgHaFailoverMode Failover { get; init; } = PgHaFailoverMode.Automatic;

    /// <summary>Time between checks of the primary while it answers (repmgr monitor_interval_secs; its default 2 s, ours 1 s: detection cannot be faster than the check).</summary>
    public TimeSpan MonitorInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Checks that must fail before the primary is voted out (repmgr reconnect_attempts; its default 6).</summary>
    public int ReconnectAttempts { get; init; } = 7;

    /// <summary>Time between those checks (repmgr reconnect_interval; its default 10 s, which is why repmgrd needs a minute).</summary>
    public TimeSpan ReconnectInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long no check may have reached the primary before a member votes it out.</summary>
    public TimeSpan DetectionWindow => ReconnectInterval * ReconnectAttempts;

    /// <summary>How long the primary's server must have been down, as its own monitor sees it, before that monitor fences it and confirms the failure to the others. Long enough for a quick restart not to count.</summary>
    public TimeSpan ConfirmedDownGrace { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a primary keeps taking writes without a majority vouching for it: a 2 s blip plus the second or two TCP needs to recover from it, well inside <see cref="DetectionWindow"/>.</summary>
    public TimeSpan FenceTimeout { get; init; } = TimeSpan.FromSeconds(3.5);

    /// <summary>How long after its last successful check a member still vouches for the primary.</summary>
    public TimeSpan SupportFreshness => MonitorInterval + TimeSpan.FromMilliseconds(500);

    /// <summary>Time between the primary's checks that a majority still vouches for it: short, because it is part of the fencing margin.</summary>
    public TimeSpan PrimaryCheckInterval => TimeSpan.FromMilliseconds(Math.Min(250, MonitorInterval.TotalMilliseconds / 4));

    /// <summary>Time a monitor waits for another monitor's answer. A member that does not answer in time counts as unreachable.</summary>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Time a candidate waits for the votes.</summary>
    public TimeSpan VoteTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// etcd only, off by default (Patroni's failsafe_mode): when the primary cannot reach etcd, it keeps its
    /// lease while EVERY member's monitor vouches for it directly over the signed peer protocol, instead of
    /// fencing. A member that vouched takes no vanished leader key for a failure until its vouch has run out.
    /// </summary>
    public bool EtcdFailsafe { get; init; }

    /// <summary>
    /// etcd only: the least time between two keepalives of the primary's leader key; null (the default): every
    /// primary check interval (<see cref="PrimaryCheckInterval"/>, 0.25 s). The lease after a keepalive is the TTL
    /// minus a margin from its send time, so the sparser the keepalives, the sooner the key of a primary that
    /// died suddenly runs out (a faster failover when a whole node is lost: the key has TTL minus up to one
    /// interval left), and the shorter an etcd stall the primary rides out before it fences: about the fence
    /// timeout less one interval and one primary check at worst. Patroni keeps its key alive once per loop
    /// (loop_wait); 1 s here is its cadence at loop_wait 1. At most <see cref="LongestEtcdKeepAliveInterval"/>.
    /// </summary>
    public TimeSpan? EtcdKeepAliveInterval { get; init; }

    /// <summary>
    /// The longest <see cref="EtcdKeepAliveInterval"/> allowed: after the last answered keepalive, the next one comes at
    /// most one interval and one primary check later, and may hang for a whole etcd request deadline before it is known
    /// to have failed; that must end within the lease (a fence timeout), and with failsafe leave the members' round
    /// its answer time too. 1.5 s by default, 1 s with failsafe.
    /// </summary>
    public TimeSpan LongestEtcdKeepAliveInterval =>
        FenceTimeout - PrimaryCheckInterval - EtcdLeaseTiming.RequestTimeout(FenceTimeout) - (EtcdFailsafe ? PeerTimeout : TimeSpan.Zero);

    /// <summary>The least time between two keepalives of the leader key, as the etcd backend applies it.</summary>
    public TimeSpan LeaderKeepAliveInterval => EtcdKeepAliveInterval ?? PrimaryCheckInterval;

    /// <summary>What to do with this node when it turns out to be a replaced primary.</summary>
    public PgHaStalePrimaryAction StalePrimary { get; init; } = PgHaStalePrimaryAction.Rejoin;

    /// <summary>What the primary's monitor does when no synchronous standby is attached although synchronous_standby_names names some. Default Wait: PgHa never trades an acknowledged write for availability unless told to.</summary>
    public PgHaSynchronousPolicy SynchronousPolicy { get; init; } = PgHaSynchronousPolicy.Wait;

    /// <summary>How long no synchronous standby may be attached before the policy acts (a warning and an event, or the set-aside).</summary>
    public TimeSpan SynchronousTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time between lag samples the primary's monitor writes to pgha.monitoring_history; zero: none.</summary>
    public TimeSpan MonitoringHistoryInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long samples are kept; older ones are deleted by the primary's monitor.</summary>
    public TimeSpan MonitoringHistoryRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Time between refreshes of the witness's copy of the metadata (repmgr witness_sync_interval, default 15 s).</summary>
    public TimeSpan WitnessSyncInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The monitor starts its node's server when it finds it stopped, never writable (see BootRules); PostgreSQL's own unit is then disabled.</summary>
    public bool ManageServer { get; init; }

    /// <summary>Deadline for promoting, following and rejoining.</summary>
    public TimeSpan RoleChangeTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The HTTP health endpoint (HAProxy, keepalived, Prometheus); null or port 0: none.</summary>
    public Health.HealthEndpointSettings? Http { get; init; }

    /// <summary>
    /// How long after its last vouch for the primary a member that no longer sees it may vote it out: the
    /// primary's lease ends at most a fence timeout after a round that began before that vouch, plus a margin
    /// for the fence itself (see <see cref="LeaderWatch.HasFailed"/>).
    /// </summary>
    public TimeSpan VoteAfterLastVouch => FenceTimeout + VouchMargin;

    /// <summary>
    /// What <see cref="VoteAfterLastVouch"/> adds to the fence timeout: the lease timer's tick and the fence itself
    /// (standby.signal written and fsynced, file and directory, then SIGQUIT), which a busy disk can slow.
    /// </summary>
    public static readonly TimeSpan VouchMargin = TimeSpan.FromSeconds(1);

    /// <summary>How long before the earliest possible vote the old primary has certainly begun to fence itself.</summary>
    public TimeSpan FencingMargin => DetectionWindow - SupportFreshness - PeerTimeout - FenceTimeout - (PrimaryCheckInterval + PeerTimeout);

    /// <summary>The ordering the safety of fencing rests on; refused otherwise.</summary>
    public void Validate()
    {
        if (FencingMargin < TimeSpan.FromMilliseconds(500))
        {
            throw new PgHaException(PgHaErrorIds.MonitorUnsafeTimeouts, nameof(FenceTimeout),
                $"The primary would not be sure to have fenced itself before a majority votes it out: detection window {DetectionWindow.TotalSeconds:0.##} s " +
                $"({ReconnectAttempts} x {ReconnectInterval.TotalSeconds:0.##} s) must exceed support freshness {SupportFreshness.TotalSeconds:0.##} s + answer time {PeerTimeout.TotalSeconds:0.##} s " +
                $"+ fence timeout {FenceTimeout.TotalSeconds:0.##} s + one primary round ({PrimaryCheckInterval.TotalSeconds:0.##} s + {PeerTimeout.TotalSeconds:0.##} s) by at least 0.5 s. " +
                "Lower -FenceTimeout or -MonitorInterval, or raise -ReconnectAttempts / -ReconnectInterval.");
        }
        if (EtcdKeepAliveInterval is { } keepAlive && (keepAlive <= TimeSpan.Zero || keepAlive > LongestEtcdKeepAliveInterval))
        {
            throw new PgHaException(PgHaErrorIds.MonitorUnsafeTimeouts, nameof(EtcdKeepAliveInterval),
                $"An etcd keepalive interval of {keepAlive.TotalSeconds:0.##} s would leave the primary too little of its lease to ride out an etcd stall: " +
                $"it must be more than 0 and at most {LongestEtcdKeepAliveInterval.TotalSeconds:0.##} s (the fence timeout {FenceTimeout.TotalSeconds:0.##} s, less one primary check " +
                $"{PrimaryCheckInterval.TotalSeconds:0.##} s and one etcd request's deadline {EtcdLeaseTiming.RequestTimeout(FenceTimeout).TotalSeconds:0.##} s" +
                (EtcdFailsafe ? $", less the members' answer time {PeerTimeout.TotalSeconds:0.##} s for failsafe)" : ")") +
                ". Lower -EtcdKeepAliveInterval, or raise -FenceTimeout.");
        }
        if (ConfirmedDownGrace > DetectionWindow)
        {
            throw new PgHaException(PgHaErrorIds.MonitorUnsafeTimeouts, nameof(ConfirmedDownGrace),
                "The confirmed-down grace must not be longer than the detection window.");
        }
    }
}
