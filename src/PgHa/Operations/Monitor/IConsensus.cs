namespace PgHa.Operations.Monitor;

/// <summary>
/// What the monitors must agree on, behind one interface so that the HA loop does not care who decides:
/// the members' published state, the leader's lease, the election of a new leader, and telling the members
/// about it. The built-in backend is <see cref="PeerQuorumConsensus"/> (the monitors vote among themselves
/// over the signed peer protocol); etcd (issue 10) is meant as a second class here, not a second monitor:
/// its lease is the leader key's etcd lease, its election the transaction that creates the key, its
/// members' state the keys they publish under the cluster's prefix.
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
}

/// <summary>
/// A lease request's answer. <see cref="ValidUntilMs"/>: until when the leader may take writes (null when the
/// request was not granted); <see cref="Backers"/> of <see cref="Members"/> backed it, itself included.
/// </summary>
internal sealed record LeaseRenewal(long? ValidUntilMs, int Backers, int Members, int Quorum);

/// <summary>
/// An election's outcome: won or not, with the votes (itself included) and who said what.
/// <see cref="LeaseUntilMs"/>: until when a won election lets the new leader take writes before its first
/// renewal (null when lost).
/// </summary>
internal sealed record ElectionOutcome(bool Won, int Granted, int Members, int Quorum, string Tally, long? LeaseUntilMs);
