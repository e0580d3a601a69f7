namespace PgHa.Operations.Monitor;

/// <summary>
/// What the monitors must agree on, behind one interface so that the HA loop does not care who decides:
/// the members' published state, the leader's lease, the election of a new leader, and telling the members
/// about it. The built-in backend is <see cref="PeerQuorumConsensus"/> (the monitors vote among themselves
/// over the signed peer protocol); <see cref="EtcdMonitorConsensus"/> is the second: its lease is the leader
/// key's etcd lease, its election the transaction that creates the key, its members' state the keys they
/// publish under the cluster's prefix. The metadata records which one a cluster uses (Set-PgHaConsensus).
/// <para>
/// Every time is monotonic milliseconds (<see cref="Core.MonotonicClock"/>, since boot). A backend never fences
/// and never promotes: the monitor does, from what the backend answers.
/// </para>
/// </summary>
internal interface IConsensus
{
    /// <summary>The backend's name, as the monitor's log and Get-PgHaMonitor show it.</summary>
    string Name { get; }

    /// <summary>
    /// Every other member's published state, by node id; null for one that did not answer (within the
    /// backend's timeout, or <paramref name="timeout"/> when given).
    /// </summary>
    Task<IReadOnlyDictionary<int, PeerStatus?>> MembersAsync(TimeSpan? timeout, CancellationToken ct);

    /// <summary>One member's published state; null when it did not answer or its answer was not taken.</summary>
    Task<PeerStatus?> MemberAsync(int nodeId, CancellationToken ct);

    /// <summary>
    /// The leader of <paramref name="term"/> asks to keep its lease. The answer says until when it may take
    /// writes (null: not renewed this time; the lease it had stands until it ends).
    /// </summary>
    Task<LeaseRenewal> RenewLeaseAsync(long term, CancellationToken ct);

    /// <summary>
    /// This node asks to lead <paramref name="term"/> with <paramref name="lsn"/> of WAL. Returns as soon as the
    /// outcome is known; a refused or unanswered request is a lost election, never an error.
    /// </summary>
    Task<ElectionOutcome> RequestLeadershipAsync(long term, PgHaLsn lsn, CancellationToken ct);

    /// <summary>
    /// Tells the members that this node now leads <paramref name="term"/>. The answer counts the members that
    /// took it (itself included); a majority is a lease granted from <paramref name="sinceMs"/>.
    /// </summary>
    Task<LeaseRenewal> AnnounceAsync(long term, long sinceMs, CancellationToken ct);

    /// <summary>
    /// How long a primary may take writes after a resume before the backend has renewed its lease. The built-in
    /// quorum: a fence timeout (the members restart their detection windows then, so none can vote it out
    /// sooner). etcd: nothing (a standby may take a leader key the moment it is gone). The first start's grace
    /// is decided before a backend exists (NodeMonitor.StartGrace, from the recorded backend).
    /// </summary>
    TimeSpan ResumeGrace { get; }

    /// <summary>
    /// Publishes this member's state (<paramref name="self"/>) where the others read it; the monitor calls it
    /// every primary check interval. The built-in quorum publishes nothing: a member's state is its answer to a
    /// status request. etcd: the member's key under the prefix, on the member's lease, kept alive here.
    /// </summary>
    Task PublishAsync(PeerStatus self, CancellationToken ct);

    /// <summary>
    /// This node no longer leads any term up to <paramref name="term"/>: its server is fenced, or another node
    /// leads a newer term and its own server takes no writes. What the backend holds for it goes at once, so
    /// that the standbys need not wait for it to expire (etcd: the leader key is deleted if it is still this
    /// node's; a term resigned is never taken again by a renewal). Never throws; a no-op for the built-in quorum.
    /// </summary>
    Task ResignAsync(long term, CancellationToken ct);

    /// <summary>
    /// Whether the backend itself says that <paramref name="leaderId"/> no longer leads <paramref name="term"/>,
    /// which a member takes as a confirmed failure once its own check of the leader failed too (etcd: the
    /// leader key is gone, or names another node or a newer term: the old holder's lease timer fenced it before
    /// etcd could let the key go). False when it cannot say (etcd unreachable) and always for the built-in quorum.
    /// </summary>
    Task<bool> LeaderGoneAsync(long term, int leaderId, CancellationToken ct);

    /// <summary>
    /// Why the best standby should not stand now by what the backend knows, or null when it may.
    /// <paramref name="statuses"/>: the other members' states as <see cref="MembersAsync"/> gave them;
    /// <paramref name="failedLeaderId"/>: the leader taken for gone. The built-in quorum: its pre-vote
    /// (<see cref="ElectionRules.MayStand"/>), a majority of all members must take the leader for gone first.
    /// etcd: the leader key is still held (a transaction could not create it, and each try would open a term
    /// for nothing), or etcd does not answer; the key decides, not a count of the members that answer (a
    /// dead monitor must not keep a standby from replacing a primary that etcd let go).
    /// </summary>
    Task<string?> WhyNotStandAsync(IReadOnlyDictionary<int, PeerStatus?> statuses, int? failedLeaderId, CancellationToken ct);

    /// <summary>
    /// Whether the backend itself holds a pause (etcd: the pause key under the prefix, written by
    /// Suspend-PgHaMonitor or by hand); null when it cannot say (etcd unreachable) and always for the built-in
    /// quorum, whose pause is the metadata's flag and the direct messages. Never throws.
    /// </summary>
    Task<ConsensusPause?> PausedAsync(CancellationToken ct);
}

/// <summary>
/// The backend's pause as read: <see cref="Mark"/> tells one pause from the next (etcd: the key's mod revision),
/// so a key deleted and written again between two reads is a new instruction (<see cref="PauseInstructions"/>).
/// </summary>
internal sealed record ConsensusPause(bool Paused, string? Mark);

/// <summary>
/// A lease request's answer. <see cref="ValidUntilMs"/>: until when the leader may take writes (null when the
/// request was not granted); <see cref="Backers"/> of <see cref="Members"/> backed it, itself included.
/// <see cref="Why"/>: why it was not granted, when the backend says more than a count (etcd).
/// </summary>
internal sealed record LeaseRenewal(long? ValidUntilMs, int Backers, int Members, int Quorum, string? Why = null);

/// <summary>
/// An election's outcome: won or not, with the votes (itself included) and who said what.
/// <see cref="LeaseUntilMs"/>: until when a won election lets the new leader take writes before its first
/// renewal (null when lost).
/// </summary>
internal sealed record ElectionOutcome(bool Won, int Granted, int Members, int Quorum, string Tally, long? LeaseUntilMs);
