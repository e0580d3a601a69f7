using System.Globalization;
using System.Text.Json;
using PgHa.Core;
using PgHa.Etcd;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The etcd backend (Patroni's way): etcd decides, the monitors do not vote. Under the cluster's prefix each
/// monitor publishes its state (a <see cref="PeerStatus"/> as JSON) at PREFIX/members/NODE-ID on a lease of
/// its own, and the primary's monitor holds PREFIX/leader (node, cluster id, term) on another lease, which
/// only its renewals keep alive (TTL from the fence timeout, <see cref="EtcdLeaseTiming"/>): a key it gave
/// up, or failed to delete, ends with its lease whatever the member's state does.
/// <list type="bullet">
/// <item>Election: a transaction that creates the leader key only while it is absent; of two candidates
/// exactly one gets it. Who stands is still the monitor's choice from the members' published states (most
/// WAL, priority, id; priority 0 never; the location rule).</item>
/// <item>Lease: a keepalive of the lease and a transaction that finds the key still this node's, in this term,
/// on this lease. The primary may take writes until the keepalive's SEND time plus the TTL minus a margin:
/// before etcd can let the key go (the argument is in <see cref="EtcdLeaseTiming"/>).</item>
/// <item>etcd unreachable or without quorum: no renewal, so the primary's lease timer fences it; no key can be
/// created, so nobody is promoted. With failsafe (Start-PgHaMonitor -EtcdFailsafe, Patroni's failsafe_mode) a
/// primary that held the key in this term renews through the members instead, and only while every registered
/// member vouches for it directly (<see cref="FailsafeAsync"/>).</item>
/// </list>
/// The cluster id in the key is the data nodes' system identifier (a key of a previous cluster under the same
/// prefix is never taken for ours); until the monitor has read it, it neither takes nor renews the key.
/// </summary>
internal sealed class EtcdMonitorConsensus : IConsensus
{
    private const string UnknownCluster = "(unknown)";

    /// <summary>How long a failsafe round waits for etcd beside the members (a peer answer's timeout).</summary>
    private static readonly TimeSpan FailsafeEtcdDeadline = TimeSpan.FromMilliseconds(500);

    private readonly EtcdClient _client;
    private readonly string _prefix;
    private readonly Func<MonitorMembers> _members;
    private readonly Func<string?> _clusterId;
    private readonly Func<long, bool> _recordedLeader;
    private readonly Func<PeerStatus> _self;
    private readonly Func<PeerStatus, string?> _admit;
    private readonly IConsensus? _announcer;
    private readonly Action<string> _note;
    private readonly Action<string> _inform;
    private readonly Action<string> _debug;
    private readonly bool _failsafe;

    // The member's own lease and state key, changed only under _memberGate (the publishing loop's).
    private readonly SemaphoreSlim _memberGate = new(1, 1);
    private EtcdLease? _memberLease;
    private long _lastKeepAliveMs = long.MinValue / 2;
    private string? _publishedState;
    private long _publishedOnLease;

    // The leader key this node holds, on a lease of its own, changed only under _leaderGate. A lease of its own:
    // keeping the member alive must never keep a key alive that this node gave up (or failed to delete).
    private readonly SemaphoreSlim _leaderGate = new(1, 1);
    private HeldKey? _held;
    private long _resignedTerm;
    private bool _etcdOutOfReach; // the last renewal found etcd unreachable: failsafe asks the members at once, beside etcd
    private bool _inFailsafe; // the lease is the members' (failsafe) since the last renewal through etcd

    /// <param name="client">The etcd client (the cluster's endpoints, TLS and user, this monitor's request deadline).</param>
    /// <param name="prefix">The cluster's prefix, as recorded.</param>
    /// <param name="members">The members as the monitor knows them now.</param>
    /// <param name="clusterId">The data nodes' system identifier, null while unknown (and on the witness, which never leads).</param>
    /// <param name="recordedLeader">Whether the metadata records this node as the primary of a term: only then does a renewal take a key it does not hold.</param>
    /// <param name="timing">TTL and margin.</param>
    /// <param name="self">This monitor's status now (published with the new term when it announces).</param>
    /// <param name="admit">Looks at every member's state before it is used (terms out of range; newer terms learned).</param>
    /// <param name="announcer">Tells the members' monitors of a new primary directly as well, so that they follow at once (a hint: etcd decided).</param>
    /// <param name="note">Where etcd's failures are written (rate-limited by the caller).</param>
    /// <param name="inform">Where what this node did with the leader key is written.</param>
    /// <param name="failsafe">While etcd is out of reach, a leader that held the key in the term renews through every member (needs <paramref name="announcer"/>).</param>
    public EtcdMonitorConsensus(EtcdClient client, string prefix, Func<MonitorMembers> members, Func<string?> clusterId, Func<long, bool> recordedLeader,
        EtcdLeaseTiming timing, Func<PeerStatus> self, Func<PeerStatus, string?> admit, IConsensus? announcer, Action<string> note, Action<string> inform,
        bool failsafe = false, Action<string>? debug = null)
    {
        _debug = debug ?? (_ => { });
        _failsafe = failsafe && announcer is not null;
        _client = client;
        _prefix = EtcdClusterStore.NormalizePrefix(prefix);
        _members = members;
        _clusterId = clusterId;
        _recordedLeader = recordedLeader;
        Timing = timing;
        _self = self;
        _admit = admit;
        _announcer = announcer;
        _note = note;
        _inform = inform;
    }

    public string Name => "etcd";

    public EtcdLeaseTiming Timing { get; }

    public TimeSpan ResumeGrace => TimeSpan.Zero;

    private static long NowMs => MonotonicClock.NowMs;

    private string NodeName => _members().Self.Name;

    private EtcdClusterStore Store(string? clusterId = null) => new(_client, _prefix, clusterId ?? _clusterId() ?? UnknownCluster);

    public async Task<IReadOnlyDictionary<int, PeerStatus?>> MembersAsync(TimeSpan? timeout, CancellationToken ct)
    {
        MonitorMembers members = _members();
        var statuses = members.Others.ToDictionary(n => n.Id, _ => (PeerStatus?)null);
        IReadOnlyList<EtcdMember> published;
        try
        {
            published = (await Store().ReadMembersAsync(ct).ConfigureAwait(false)).Members;
        }
        catch (PgHaException ex)
        {
            _note($"The members' states cannot be read from etcd: {ex.Message}");
            return statuses;
        }
        foreach (EtcdMember member in published)
        {
            if (int.TryParse(member.Id, NumberStyles.None, CultureInfo.InvariantCulture, out int id) && statuses.ContainsKey(id)
                && Parse(member.State) is { } status && status.NodeId == id && _admit(status) is null)
            {
                statuses[id] = status;
            }
        }
        return statuses;
    }

    public async Task<PeerStatus?> MemberAsync(int nodeId, CancellationToken ct) =>
        (await MembersAsync(null, ct).ConfigureAwait(false)).GetValueOrDefault(nodeId);

    /// <summary>
    /// Puts this member's state when it changed (the times in it aside), and keeps its lease alive a few times
    /// per TTL. A lease etcd no longer knows (the monitor was frozen or cut off for a TTL) is replaced by a new one.
    /// </summary>
    public async Task PublishAsync(PeerStatus self, CancellationToken ct)
    {
        string state = PeerJson.Serialize(self);
        string comparable = PeerJson.Serialize(self with { LastCheckAt = null, LeaderLastSeenSecondsAgo = null, LeaseSecondsLeft = null });
        await _memberGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            EtcdClusterStore store = Store();
            if (_memberLease is null)
            {
                long sent = NowMs;
                _memberLease = await store.GrantLeaseAsync(Timing.Ttl, ct).ConfigureAwait(false);
                _lastKeepAliveMs = sent;
            }
            EtcdLease lease = _memberLease;
            if (comparable != _publishedState || lease.Id != _publishedOnLease)
            {
                await store.PublishMemberAsync(self.NodeId.ToString(CultureInfo.InvariantCulture), state, lease, ct).ConfigureAwait(false);
                _publishedState = comparable;
                _publishedOnLease = lease.Id;
            }
            if (NowMs - _lastKeepAliveMs >= Timing.KeepAliveInterval.TotalMilliseconds)
            {
                long sent = NowMs;
                _memberLease = await store.KeepAliveAsync(lease, ct).ConfigureAwait(false);
                _lastKeepAliveMs = sent;
            }
        }
        catch (PgHaException ex)
        {
            if (ex.ErrorId == PgHaErrorIds.EtcdLeaseNotFound)
            {
                _memberLease = null; // its TTL passed (the monitor was frozen or cut off): the next round grants a new one
            }
            _note($"This member's state cannot be published in etcd: {ex.Message}");
        }
        finally
        {
            _memberGate.Release();
        }
    }

    /// <summary>
    /// The leader of <paramref name="term"/> keeps its key: a keepalive and a check that the key is still this
    /// node's. A leader that does not hold the key yet adopts the key that names it in this term (its monitor
    /// was restarted); when the metadata records it as the primary of the term (a first start with etcd, a
    /// switchover or Invoke-PgHaPromote), it also creates the key when absent, or replaces an older term's key
    /// of this cluster. Never a key of a newer term or of another cluster, never a term it resigned, and never
    /// for a candidate still in its election: that is <see cref="RequestLeadershipAsync"/>'s, which only creates.
    /// </summary>
    public async Task<LeaseRenewal> RenewLeaseAsync(long term, CancellationToken ct)
    {
        if (_clusterId() is not { } clusterId)
        {
            return NotRenewed("the cluster id (the data nodes' system identifier) is not known yet: no server of the cluster has answered this monitor");
        }
        await _leaderGate.WaitAsync(ct).ConfigureAwait(false);
        // Failsafe, while etcd is out of reach: the members are asked beside etcd, not after its timeout, which
        // would leave the lease one round of the members at most before it ends.
        // etcd gets a short deadline then, so that each round ends with the members' answers, not etcd's timeout.
        Task<LeaseRenewal>? direct = _failsafe && _etcdOutOfReach && _held is { } kept && kept.Term == term ? _announcer!.RenewLeaseAsync(term, ct) : null;
        using var etcdDeadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (direct is not null)
        {
            etcdDeadline.CancelAfter(FailsafeEtcdDeadline);
        }
        try
        {
            EtcdClusterStore store = Store(clusterId);
            if (_held is { } held && held.Term == term)
            {
                if (direct is null && NowMs - held.SentMs < Timing.LeaderKeepAliveInterval.TotalMilliseconds)
                {
                    // Sparse keepalives (-EtcdKeepAliveInterval): the last one's lease stands, asked of nobody. Whether
                    // the key is still this node's is checked with the next keepalive, as Patroni does once per loop.
                    return Granted(held.SentMs, held.Lease.Ttl);
                }
                LeaseRenewal renewed = await RenewHeldAsync(store, held, etcdDeadline.Token).ConfigureAwait(false);
                _etcdOutOfReach = false;
                if (_inFailsafe && renewed.ValidUntilMs is not null)
                {
                    _inFailsafe = false;
                    _inform($"etcd renewed the leader key of term {term} again: the lease is etcd's again (failsafe over).");
                }
                return renewed;
            }
            if (term <= _resignedTerm)
            {
                return NotRenewed($"this node resigned term {term}");
            }
            return await TakeAsync(store, term, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (direct is not null && !ct.IsCancellationRequested)
        {
            return await FailsafeAsync(term, new PgHaException(PgHaErrorIds.EtcdUnreachable, null,
                $"etcd did not answer within the failsafe round's {FailsafeEtcdDeadline.TotalSeconds:0.0} s"), direct).ConfigureAwait(false);
        }
        catch (PgHaException ex)
        {
            if (ex.ErrorId == PgHaErrorIds.EtcdLeaseNotFound && _held is { } lost && lost.Term == term)
            {
                // etcd answers and the key's lease is gone (this node was cut off from etcd for a TTL): the next
                // round takes the key again if it is still absent, as a recorded leader's renewal does.
                _held = null;
            }
            _etcdOutOfReach = ex.ErrorId == PgHaErrorIds.EtcdUnreachable;
            if (_failsafe && _etcdOutOfReach && _held is { } held && held.Term == term)
            {
                return await FailsafeAsync(term, ex, direct ?? _announcer!.RenewLeaseAsync(term, ct)).ConfigureAwait(false);
            }
            return NotRenewed($"etcd did not renew it: {ex.Message}");
        }
        finally
        {
            if (direct is not null)
            {
                await ((Task)direct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // a round left unused still ends before the next
            }
            _leaderGate.Release();
        }

        async Task<LeaseRenewal> RenewHeldAsync(EtcdClusterStore store, HeldKey held, CancellationToken deadline)
        {
            long sent = NowMs;
            EtcdLeaderClaim claim = await store.RenewLeaderAsync(NodeName, held.Term, held.Lease, deadline).ConfigureAwait(false);
            if (claim is { Held: true, Lease: { } renewed })
            {
                if (Timing.LeaderKeepAliveInterval > TimeSpan.Zero)
                {
                    _debug($"Kept the leader key of term {held.Term} alive {(sent - held.SentMs) / 1000.0:0.00} s after the last keepalive (etcd's TTL {renewed.Ttl.TotalSeconds:0} s).");
                }
                _held = held with { Lease = renewed, SentMs = sent };
                return Granted(sent, renewed.Ttl);
            }
            _held = null;
            return NotRenewed($"the leader key is no longer this node's ({Describe(claim.Holder)})");
        }
    }

    /// <summary>
    /// Failsafe: etcd is out of this leader's reach, so it asks the members' monitors directly (the built-in
    /// quorum's signed lease round) and keeps its lease only when EVERY registered member vouches, a majority is
    /// not enough: a member that reaches etcd could otherwise take the key once it expires. The lease runs a
    /// fence timeout from the round's start, before any vouch; a member that vouched does not take a vanished
    /// key for a failure for a fence timeout and a margin after its vouch (NodeMonitor.WatchLeaderAsync), so no
    /// member can take the key while this lease lasts. A leader that never held the key in the term (a monitor
    /// restarted while etcd was away) gets nothing from it.
    /// </summary>
    private async Task<LeaseRenewal> FailsafeAsync(long term, PgHaException etcdError, Task<LeaseRenewal> round)
    {
        LeaseRenewal direct = await round.ConfigureAwait(false);
        if (direct.ValidUntilMs is not null && direct.Backers == direct.Members)
        {
            if (!_inFailsafe)
            {
                _inFailsafe = true;
                _inform($"etcd is out of reach ({etcdError.Message}); failsafe: all {direct.Members} members vouched for this primary directly, so it keeps its lease while every one of them does.");
            }
            return direct with { Why = "failsafe" };
        }
        _inFailsafe = false;
        return new LeaseRenewal(null, direct.Backers, direct.Members, direct.Members,
            $"etcd is out of reach ({etcdError.Message}), and failsafe needs every member: {direct.Backers} of {direct.Members} (itself included) vouched directly");
    }

    /// <summary>A renewal of a key this node does not hold yet. Under the leader gate.</summary>
    private async Task<LeaseRenewal> TakeAsync(EtcdClusterStore store, long term, CancellationToken ct)
    {
        EtcdClusterView view = await store.ReadClusterAsync(ct).ConfigureAwait(false);
        if (view.Members.Select(m => Parse(m.State)).FirstOrDefault(s => s is not null && s.Term > term) is { } newer)
        {
            return NotRenewed($"{newer.NodeName} knows the newer term {newer.Term}");
        }
        EtcdLeaderRecord? holder = await DropLeftoverKeyAsync(store, view.Leader, ct).ConfigureAwait(false);
        if (holder is not null && holder.NodeName == NodeName && !holder.IsStaleFor(store.ClusterId) && holder.Term == term && holder.Lease != 0)
        {
            // The key names this node in this term: its monitor was restarted. It goes on with the lease the key is on.
            long sent = NowMs;
            var adopted = new HeldKey(term, store.ClusterId, new EtcdLease(holder.Lease, Timing.Ttl, System.Diagnostics.Stopwatch.GetTimestamp()), sent);
            EtcdLeaderClaim claim = await store.RenewLeaderAsync(NodeName, term, adopted.Lease, ct).ConfigureAwait(false);
            if (claim is { Held: true, Lease: { } renewed })
            {
                _held = adopted with { Lease = renewed };
                _inform($"Holds the leader key of term {term} again (its monitor was restarted).");
                return Granted(sent, renewed.Ttl);
            }
            return NotRenewed($"the leader key that named this node ended ({Describe(claim.Holder)})");
        }
        bool older = holder is not null && !holder.IsStaleFor(store.ClusterId) && holder.Term is { } t && t < term;
        if (holder is not null && !older)
        {
            return NotRenewed($"the leader key is held by {Describe(holder)}");
        }
        if (!_recordedLeader(term))
        {
            return NotRenewed($"the metadata does not record this node as the primary of term {term}, and the leader key is {(holder is null ? "absent" : "held by " + Describe(holder))}");
        }
        long granted = NowMs;
        EtcdLease lease = await store.GrantLeaseAsync(Timing.Ttl, ct).ConfigureAwait(false);
        bool taken = holder is null
            ? (await store.TryTakeLeaderAsync(NodeName, term, lease, ct).ConfigureAwait(false)).Held
            : await store.ReplaceLeaderAsync(holder, NodeName, term, lease, ct).ConfigureAwait(false);
        if (!taken)
        {
            return NotRenewed("another node took the leader key first");
        }
        _held = new HeldKey(term, store.ClusterId, lease, granted);
        _inform(holder is null
            ? $"Took the leader key for term {term}, which the metadata records this node as the primary of."
            : $"Took the leader key for term {term} over from {Describe(holder)}: the metadata records this node as the primary of the newer term.");
        return Granted(granted, lease.Ttl);
    }

    /// <summary>
    /// Creates the leader key for this node in <paramref name="term"/> if it is absent, on a lease granted just
    /// before: the new primary's lease runs from that grant's send time.
    /// </summary>
    public async Task<ElectionOutcome> RequestLeadershipAsync(long term, PgHaLsn lsn, CancellationToken ct)
    {
        if (_clusterId() is not { } clusterId)
        {
            return Lost("the cluster id (the data nodes' system identifier) is not known yet");
        }
        await _leaderGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            EtcdClusterStore store = Store(clusterId);
            if (await DropLeftoverKeyAsync(store, await store.ReadLeaderAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false) is { } held)
            {
                return Lost($"the leader key {store.LeaderKey} is held by {Describe(held)}");
            }
            long granted = NowMs;
            EtcdLease lease = await store.GrantLeaseAsync(Timing.Ttl, ct).ConfigureAwait(false);
            EtcdLeaderClaim claim = await store.TryTakeLeaderAsync(NodeName, term, lease, ct).ConfigureAwait(false);
            if (!claim.Held)
            {
                return Lost($"the leader key {store.LeaderKey} is held by {Describe(claim.Holder)}"
                    + (claim.Holder is { } h && h.IsStaleFor(clusterId) ? $"; it is not of this cluster (id {clusterId}): it goes when its lease ends, or delete it (etcdctl del {store.LeaderKey}) once no node of that cluster runs" : ""));
            }
            _held = new HeldKey(term, clusterId, lease, granted);
            return new ElectionOutcome(true, 1, 1, 1, $"etcd: took the leader key {store.LeaderKey} (lease {lease.Ttl.TotalSeconds:0} s)", Timing.ValidUntilMs(granted, lease.Ttl));
        }
        catch (PgHaException ex)
        {
            return Lost(ex.Message);
        }
        finally
        {
            _leaderGate.Release();
        }
    }

    /// <summary>
    /// Publishes this node's state with the new term at once (the members read it when they next look), tells
    /// the members' monitors directly too (so that they follow without waiting), and renews the key: the lease
    /// the answer carries is etcd's, not the members'.
    /// </summary>
    public async Task<LeaseRenewal> AnnounceAsync(long term, long sinceMs, CancellationToken ct)
    {
        LeaseRenewal renewal = await RenewLeaseAsync(term, ct).ConfigureAwait(false);
        await PublishAsync(_self(), ct).ConfigureAwait(false);
        // Also when etcd did not renew it: a switchover's old primary learns of the term this way, and resigns its key.
        if (_announcer is not null)
        {
            try
            {
                await _announcer.AnnounceAsync(term, sinceMs, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is PgHaException or IOException or TimeoutException)
            {
                _note($"Telling the members' monitors of term {term} directly failed ({ex.Message}); they read it from etcd.");
            }
        }
        return renewal;
    }

    public async Task ResignAsync(long term, CancellationToken ct)
    {
        if (_held is null && term <= _resignedTerm)
        {
            return; // the usual case, every primary check interval on a standby: nothing held, nothing asked
        }
        await _leaderGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _resignedTerm = Math.Max(_resignedTerm, term);
            if (_held is { } held && held.Term <= term)
            {
                // Forgotten first: even when the delete below fails, nothing keeps its lease alive any more.
                _held = null;
                bool deleted = await Store(held.ClusterId).ResignLeaderAsync(NodeName, held.Term, held.Lease, ct).ConfigureAwait(false);
                _inform(deleted
                    ? $"Resigned term {held.Term}: the leader key is deleted, so a standby need not wait for its lease to end."
                    : $"Resigned term {held.Term}: the leader key was no longer this node's.");
            }
        }
        catch (PgHaException ex)
        {
            _note($"Deleting the leader key of term {term} failed ({ex.Message}); it goes when its lease ends, which nothing renews now.");
        }
        finally
        {
            _leaderGate.Release();
        }
    }

    public async Task<bool> LeaderGoneAsync(long term, int leaderId, CancellationToken ct)
    {
        if (_members().ById(leaderId) is not { } leader)
        {
            return false;
        }
        try
        {
            EtcdLeaderRecord? holder = (await Store().ReadClusterAsync(ct).ConfigureAwait(false)).Leader;
            return holder is null || holder.NodeName != leader.Name || holder.Term > term;
        }
        catch (PgHaException ex)
        {
            _note($"The leader key cannot be read from etcd: {ex.Message}");
            return false;
        }
    }

    public async Task<string?> WhyNotStandAsync(IReadOnlyDictionary<int, PeerStatus?> statuses, int? failedLeaderId, CancellationToken ct)
    {
        try
        {
            EtcdLeaderRecord? holder = (await Store().ReadClusterAsync(ct).ConfigureAwait(false)).Leader;
            return holder is null || (_clusterId() is { } ours && holder.IsStaleFor(ours) && holder.Lease == 0)
                ? null // absent, or another cluster's leftover on no lease, which the election deletes
                : $"the leader key is still held by {Describe(holder)} (until its lease ends, no other node can take it" +
                  (_clusterId() is { } mine && holder.IsStaleFor(mine) ? $"; if no node of that cluster runs, delete it: etcdctl del {Store().LeaderKey})" : ")");
        }
        catch (PgHaException ex)
        {
            return $"etcd does not answer ({ex.ErrorId})";
        }
    }

    public async Task<ConsensusPause?> PausedAsync(CancellationToken ct)
    {
        // A short deadline: the metadata refresh that asks must not stall for etcd's whole timeout while etcd is away.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(FailsafeEtcdDeadline);
        try
        {
            long? revision = await Store().ReadPauseRevisionAsync(deadline.Token).ConfigureAwait(false);
            return new ConsensusPause(revision is not null, revision?.ToString(CultureInfo.InvariantCulture));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
        catch (PgHaException ex)
        {
            _note($"The pause key cannot be read from etcd: {ex.Message}");
            return null;
        }
    }

    private LeaseRenewal Granted(long sentMs, TimeSpan ttl) => new(Timing.ValidUntilMs(sentMs, ttl), 1, 1, 1);

    private static LeaseRenewal NotRenewed(string why) => new(null, 0, 1, 1, why);

    private static ElectionOutcome Lost(string why) => new(false, 0, 1, 1, "etcd: " + why, null);

    private string Describe(EtcdLeaderRecord? holder) =>
        holder is null ? "nobody"
        : $"{holder.NodeName}{(holder.Term is { } t ? $" in term {t.ToString(CultureInfo.InvariantCulture)}" : "")}"
          + (holder.ClusterId.Length == 0 ? " (not PgHa's)"
             : _clusterId() is { } ours && holder.IsStaleFor(ours) ? $" of ANOTHER cluster (id {holder.ClusterId}, this one is {ours})" : "");

    /// <summary>
    /// A leader key of another cluster (another system identifier) under this prefix that is on no lease: no
    /// running PgHa monitor keeps it (PgHa's keys are always on a lease), so it is a leftover (a previous
    /// cluster's, restored from a backup, written by hand) and is deleted, only if unchanged since it was read.
    /// One on a lease may be a live cluster's that shares the prefix by mistake: never touched (deleting it
    /// would fence that cluster's primary); it blocks this cluster until its lease ends or an operator deletes it.
    /// Returns the holder that remains (null when none). Under the leader gate, or before an election.
    /// </summary>
    private async Task<EtcdLeaderRecord?> DropLeftoverKeyAsync(EtcdClusterStore store, EtcdLeaderRecord? holder, CancellationToken ct)
    {
        if (holder is null || !holder.IsStaleFor(store.ClusterId) || holder.Lease != 0)
        {
            return holder;
        }
        if (await store.RemoveStaleLeaderAsync(holder, ct).ConfigureAwait(false))
        {
            _inform($"Deleted a leftover leader key of another cluster (id {holder.ClusterId}, node {holder.NodeName}{(holder.Term is { } t ? $", term {t.ToString(CultureInfo.InvariantCulture)}" : "")}): it was on no lease, so no running monitor kept it.");
            return null;
        }
        return (await store.ReadClusterAsync(ct).ConfigureAwait(false)).Leader;
    }

    private static PeerStatus? Parse(string state)
    {
        try
        {
            return PeerJson.Deserialize<PeerStatus>(state);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The leader key this node holds: its term, the cluster id it was written with, the lease it is on, and when the
    /// lease's last answered keepalive (or its grant) was sent, which its lease runs from.
    /// </summary>
    private sealed record HeldKey(long Term, string ClusterId, EtcdLease Lease, long SentMs);
}
