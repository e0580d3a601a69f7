using PgHa.Core;
using PgHa.Metadata;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The built-in consensus: the monitors are the voters. A member's state is its answer to a signed status
/// request; the leader's lease is a fence timeout from the start of a round in which a majority of the
/// members (itself included) vouched for it; an election is a vote in a new term, won on a majority of
/// all registered members (<see cref="ElectionRules.Quorum"/>). The answering side (votes, announcements,
/// pause) is the monitor's <see cref="PeerServer"/> handler, which owns the vote book and the term.
/// </summary>
internal sealed class PeerQuorumConsensus : IConsensus
{
    private readonly Func<MonitorMembers> _members;
    private readonly PeerClient _peers;
    private readonly MonitorSettings _settings;
    private readonly Func<PeerStatus, string?> _admit;

    /// <param name="members">The members as the monitor knows them now (they change when the metadata does).</param>
    /// <param name="admit">
    /// Looks at every status that came in before it is used: returns why it is not taken (a term out of range),
    /// or null; the monitor also learns newer terms from it there.
    /// </param>
    public PeerQuorumConsensus(Func<MonitorMembers> members, PeerClient peers, MonitorSettings settings, Func<PeerStatus, string?> admit)
    {
        _members = members;
        _peers = peers;
        _settings = settings;
        _admit = admit;
    }

    public string Name => "peer quorum";

    private static long NowMs => MonotonicClock.NowMs;

    public Task<PeerStatus?> MemberAsync(int nodeId, CancellationToken ct) => AskStatusAsync(_members(), nodeId, _peers, ct);

    public async Task<IReadOnlyDictionary<int, PeerStatus?>> MembersAsync(TimeSpan? timeout, CancellationToken ct)
    {
        MonitorMembers members = _members();
        NodeRecord[] others = members.Others.ToArray();
        PeerClient client = timeout is { } t ? _peers.WithTimeout(t) : _peers;
        PeerStatus?[] answers = await Task.WhenAll(others.Select(n => AskStatusAsync(members, n.Id, client, ct))).ConfigureAwait(false);
        var statuses = new Dictionary<int, PeerStatus?>();
        for (int i = 0; i < others.Length; i++)
        {
            statuses[others[i].Id] = answers[i];
        }
        return statuses;
    }

    private async Task<PeerStatus?> AskStatusAsync(MonitorMembers members, int nodeId, PeerClient client, CancellationToken ct)
    {
        System.Net.IPEndPoint? endpoint = members.EndpointOf(nodeId);
        PeerStatus? status = endpoint is null ? null : await client.StatusAsync(nodeId, endpoint, ct).ConfigureAwait(false);
        return status is not null && _admit(status) is null ? status : null;
    }

    /// <summary>
    /// Asks every member whether it sees this node as the leader of <paramref name="term"/>. The lease runs a
    /// fence timeout from the round's START: a round that took long (or a process frozen in the middle of one)
    /// must not grant more than the members' answers are worth.
    /// </summary>
    public async Task<LeaseRenewal> RenewLeaseAsync(long term, CancellationToken ct)
    {
        long roundStart = NowMs;
        MonitorMembers members = _members();
        IReadOnlyDictionary<int, PeerStatus?> statuses = await MembersAsync(null, ct).ConfigureAwait(false);
        int backers = 1 + statuses.Values.Count(s => s is { SeesLeader: true } && s.Term == term && s.LeaderId == members.Self.Id);
        return Lease(roundStart, backers, members.Nodes.Count);
    }

    /// <summary>
    /// Asks every member for its vote in <paramref name="term"/>. A won election's lease runs from the START of
    /// the vote: a voter takes the candidate for its primary from its vote on, which is later, so no majority
    /// can vote the new leader out within a fence timeout of that.
    /// </summary>
    public async Task<ElectionOutcome> RequestLeadershipAsync(long term, PgHaLsn lsn, CancellationToken ct)
    {
        long electionStart = NowMs;
        MonitorMembers members = _members();
        var request = new PeerRequest { Op = PeerRequest.VoteOp, Term = term, NodeId = members.Self.Id, Lsn = lsn.ToString() };
        NodeRecord[] voters = members.Others.ToArray();
        int quorum = ElectionRules.Quorum(members.Nodes.Count);
        PeerVoteReply?[] replies = await CollectVotesAsync(members, voters, request, quorum - 1, ct).ConfigureAwait(false);
        int granted = 1 + replies.Count(r => r is { Granted: true });
        string tally = string.Join(", ", voters.Select((v, i) => $"{v.Name}: {(replies[i] is { } r ? (r.Granted ? "yes" : "no, " + r.Reason) : "no answer")}"));
        bool won = granted >= quorum;
        return new ElectionOutcome(won, granted, members.Nodes.Count, quorum, tally,
            won ? electionStart + (long)_settings.FenceTimeout.TotalMilliseconds : null);
    }

    /// <summary>
    /// Asks every voter at once and returns as soon as <paramref name="needed"/> have said yes, or all have
    /// answered, or the vote timeout passed: a dead member must not hold up a won election. Votes may take
    /// longer than status answers (a member records its vote on disk first), and a late vote is as safe as
    /// an early one: the fencing argument rests on status answers only.
    /// </summary>
    private async Task<PeerVoteReply?[]> CollectVotesAsync(MonitorMembers members, NodeRecord[] voters, PeerRequest request, int needed, CancellationToken ct)
    {
        PeerClient ballots = _peers.WithTimeout(_settings.VoteTimeout);
        var replies = new PeerVoteReply?[voters.Length];
        using var enough = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int yes = 0;
        await Task.WhenAll(voters.Select(async (voter, i) =>
        {
            if (members.EndpointOf(voter.Id) is not { } endpoint)
            {
                return;
            }
            try
            {
                replies[i] = PeerClient.TryParse<PeerVoteReply>(await ballots.AskAsync(voter.Id, endpoint, request, enough.Token).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return; // a majority was reached without this vote
            }
            if (replies[i] is { Granted: true } && Interlocked.Increment(ref yes) >= needed)
            {
                enough.Cancel();
            }
        })).ConfigureAwait(false);
        return replies;
    }

    /// <summary>
    /// Tells every member about the new leader at once, so that the standbys follow without waiting for their
    /// next check. Once a majority (itself included) has taken the term, each of them watches it afresh, so no
    /// majority can vote it out for a detection window: a lease from <paramref name="sinceMs"/>.
    /// </summary>
    public async Task<LeaseRenewal> AnnounceAsync(long term, long sinceMs, CancellationToken ct)
    {
        MonitorMembers members = _members();
        var request = new PeerRequest { Op = PeerRequest.AnnounceOp, Term = term, NodeId = members.Self.Id };
        bool[] taken = await Task.WhenAll(members.Others.Select(async n =>
            members.EndpointOf(n.Id) is { } endpoint
            && await _peers.AskAsync(n.Id, endpoint, request, ct).ConfigureAwait(false) is { } reply
            && reply.Contains("\"ok\":true", StringComparison.Ordinal))).ConfigureAwait(false);
        return Lease(sinceMs, 1 + taken.Count(t => t), members.Nodes.Count);
    }

    /// <summary>A fence timeout after a resume (see PrimaryLease).</summary>
    public TimeSpan ResumeGrace => _settings.FenceTimeout;

    /// <summary>Nothing to publish: a member's state is its answer to a status request.</summary>
    public Task PublishAsync(PeerStatus self, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Nothing to give back: the members stop vouching for a node that no longer leads.</summary>
    public Task ResignAsync(long term, CancellationToken ct) => Task.CompletedTask;

    /// <summary>The members' votes decide, not a record: only the leader's own monitor can confirm it down.</summary>
    public Task<bool> LeaderGoneAsync(long term, int leaderId, CancellationToken ct) => Task.FromResult(false);

    /// <summary>The pre-vote (<see cref="ElectionRules.MayStand"/>): a majority of all members takes the leader for gone, or it is fenced and down.</summary>
    public Task<string?> WhyNotStandAsync(IReadOnlyDictionary<int, PeerStatus?> statuses, int? failedLeaderId, CancellationToken ct)
    {
        IEnumerable<PreVoteView> views = statuses.Where(kv => kv.Value is not null).Select(kv => new PreVoteView(kv.Value!.Paused, kv.Value.LeaderFailed,
            kv.Key == failedLeaderId && kv.Value.Fenced && !kv.Value.ServerRunning));
        return Task.FromResult(ElectionRules.MayStand(_members().Nodes.Count, views) ? null : "it is not gone yet for a majority of the members that answer");
    }

    /// <summary>The built-in quorum holds no pause of its own: the metadata's flag and the direct messages are the pause.</summary>
    public Task<ConsensusPause?> PausedAsync(CancellationToken ct) => Task.FromResult<ConsensusPause?>(null);

    private LeaseRenewal Lease(long sinceMs, int backers, int memberCount)
    {
        int quorum = ElectionRules.Quorum(memberCount);
        long? until = backers >= quorum ? sinceMs + (long)_settings.FenceTimeout.TotalMilliseconds : null;
        return new LeaseRenewal(until, backers, memberCount, quorum);
    }
}
