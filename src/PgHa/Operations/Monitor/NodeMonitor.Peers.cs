using System.Globalization;
using System.Net;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Operations.Service;
using PgHa.Sql;
using PgHa.Transport;

namespace PgHa.Operations.Monitor;

/// <summary>The answering side of the peer protocol: status, votes, announcements and direct pause.</summary>
internal sealed partial class NodeMonitor
{
    /// <summary>
    /// The status as a peer asked for it. When the leader itself asks (signed), and this member vouches for it, the
    /// answer is a vouch it counts for its lease: remembered (<see cref="LeaderWatch.Vouched"/>). Answers to anyone
    /// else (Get-PgHaMonitor, other members) are not: they would keep a primary whose monitor is gone looking as if
    /// it were still asking.
    /// </summary>
    private PeerStatus StatusFor(PeerCaller caller)
    {
        PeerStatus status = Status();
        if (status.SeesLeader && caller.Signed && caller.NodeId == status.LeaderId && status.LeaderId != status.NodeId)
        {
            lock (_gate)
            {
                if (_watch.Term == status.Term && _watch.LeaderId == status.LeaderId)
                {
                    _watch.Vouched(NowMs);
                    _watch.VouchedForLease(NowMs);
                }
            }
        }
        return status;
    }

    private PeerStatus Status()
    {
        lock (_gate)
        {
            long now = NowMs;
            NodeRecord? self = _members?.Self;
            return new PeerStatus
            {
                NodeId = self?.Id ?? 0,
                NodeName = self?.Name ?? _target.NodeName ?? "",
                Role = _role,
                ServerRunning = _serverRunning,
                Fenced = _fenced,
                Term = _watch?.Term ?? 0,
                LeaderId = _watch?.LeaderId,
                SeesLeader = _watch is not null && (_watch.LeaderId == self?.Id ? _serverRunning && _local is { InRecovery: false } : _watch.Vouches(now, _settings)),
                LeaderFailed = _watch is not null && _watch.LeaderId != self?.Id && _watch.HasFailed(now, _settings),
                LeaderLastSeenSecondsAgo = _watch?.LeaderId == self?.Id ? 0 : _watch?.SecondsSinceSeen(now),
                ReceivedLsn = OwnLsn()?.ToString(),
                Priority = self?.Priority ?? 0,
                Location = self?.Location ?? "default",
                Paused = _paused,
                StandsAside = StandsAside,
                Failover = _settings.Failover,
                ProcessId = Environment.ProcessId,
                StartedAt = _startedAt,
                LastCheckAt = _lastCheckAt,
                Version = typeof(NodeMonitor).Assembly.GetName().Version?.ToString(3) ?? "",
                Consensus = _consensus?.Name ?? "",
                LeaseSecondsLeft = _mayTakeWrites && !_paused && _watch?.LeaderId == self?.Id ? Math.Max(0, _lease.SecondsLeft(now)) : null,
            };
        }
    }

    /// <summary>A signed request other than a status (<see cref="PeerServer"/> answers those and refuses unsigned ones).</summary>
    private Task<string> HandlePeerRequestAsync(PeerRequest request, PeerCaller caller)
    {
        string? refusal = PeerRequestRules.Refusal(request, caller, _members);
        if (refusal is null && request.Op is PeerRequest.VoteOp or PeerRequest.AnnounceOp)
        {
            refusal = _terms.Offer(request.Term, KnownTerm);
        }
        if (refusal is not null)
        {
            _refusals.Note($"Refused '{request.Op}' (term {request.Term}, node {request.NodeId}) from {caller.Address} as node {caller.NodeId}: {refusal}.");
            return Task.FromResult(request.Op == PeerRequest.VoteOp
                ? PeerJson.Serialize(new PeerVoteReply(false, refusal, KnownTerm))
                : PeerJson.Serialize(new { error = refusal }));
        }
        if (request.Op is PeerRequest.PauseOp or PeerRequest.ResumeOp)
        {
            return Task.FromResult(PeerJson.Serialize(PauseDirectly(request.Op == PeerRequest.PauseOp, caller.Address)));
        }
        switch (request.Op)
        {
            case PeerRequest.VoteOp:
                return Task.FromResult(PeerJson.Serialize(Vote(request)));
            case PeerRequest.AnnounceOp:
                return AnnouncedAsync(request);
            default:
                return Task.FromResult(PeerJson.Serialize(new { error = $"unknown request '{request.Op}'" }));
        }
    }

    /// <summary>
    /// A new primary announcing itself is believed only once its server answers as a writable primary: a forged
    /// announcement must not make this member follow (or a primary fence itself for) a node that is none.
    /// </summary>
    private async Task<string> AnnouncedAsync(PeerRequest request)
    {
        if (request.Term > _watch.Term || (request.Term == _watch.Term && _watch.LeaderId == request.NodeId))
        {
            if (_members.ById(request.NodeId) is { } announced && await LeaderAnswersAsync(announced).ConfigureAwait(false))
            {
                _log.Debug($"{announced.Name} announced itself as the primary of term {request.Term}, and answers as one.");
                AdoptLeader(request.Term, request.NodeId, "it announced its promotion");
                lock (_gate)
                {
                    if (_watch.Term != request.Term || _watch.LeaderId != request.NodeId)
                    {
                        // A newer term came in meanwhile (this member voted in it): the announcement is out of date.
                        return PeerJson.Serialize(new { error = $"this member is in term {_watch.Term} now" });
                    }
                    _leaderChangedAtMs = NowMs;
                    _watch.Vouched(NowMs); // the announcer counts this member for its lease
                    _leaderWritable = true; // just checked: the follow need not check it again
                    // This node's copy of the metadata cannot know the new term before it streams from the new
                    // primary, and the follow reads the records there: the next round goes straight to it.
                    _lastMetadataRefreshMs = NowMs;
                }
                _wake.Release();
                return PeerJson.Serialize(new { ok = true });
            }
            return PeerJson.Serialize(new { error = $"node {request.NodeId} does not answer as a writable primary" });
        }
        // An older term, or another leader of the same term: not taken (the announcer counts who took it).
        return PeerJson.Serialize(new { error = $"this member is in term {_watch.Term}, led by {NameOf(_watch.LeaderId)}" });
    }

    /// <summary>
    /// Suspend/Resume-PgHaMonitor telling this monitor directly: taken only signed with the cluster secret
    /// (<see cref="PeerRequestRules"/>), from wherever the DBA runs it.
    /// </summary>
    private object PauseDirectly(bool paused, IPAddress from)
    {
        IPAddress address = from.IsIPv4MappedToIPv6 ? from.MapToIPv4() : from;
        bool changed;
        lock (_gate)
        {
            _pause.Observe(PauseSource.Direct, paused, null, NowMs);
            changed = UpdatePaused();
        }
        if (changed)
        {
            _log.Info(paused ? $"Monitoring is paused (told directly by {address}): no failover, no fencing." : $"Monitoring is resumed (told directly by {address}).");
        }
        _wake.Release();
        return new { ok = true, paused = _paused };
    }

    private PeerVoteReply Vote(PeerRequest request)
    {
        PgHaLsn candidateLsn = PgHaLsn.TryParse(request.Lsn, out PgHaLsn parsed) ? parsed : default;
        VoteDecision decision;
        lock (_gate)
        {
            if (_consensusRefusal is not null)
            {
                return new PeerVoteReply(false, "the metadata records another consensus than this monitor's (PgHaMonitorConsensusMismatch in its log)", KnownTerm);
            }
            if (_consensus is EtcdMonitorConsensus)
            {
                return new PeerVoteReply(false, "this monitor's elections are decided by etcd, not by votes", KnownTerm);
            }
            long now = NowMs;
            bool leaderFailed = IsLeader
                ? !(_serverRunning && _local is { InRecovery: false }) && (_fenced || _local is { InRecovery: true })
                : _watch.HasFailed(now, _settings);
            var facts = new VoterFacts(Self.Id, _paused, _watch.Term, _votes.Term, _votes.VotedFor, leaderFailed, NameOf(_watch.LeaderId),
                CanBePromoted: Self.Role != PgHaRole.Witness && Self.Priority > 0 && _local is { InRecovery: true },
                OwnLsn: _local is { InRecovery: true } ? OwnLsn() : null);
            decision = ElectionRules.DecideVote(facts, request.Term, request.NodeId, candidateLsn);
            if (decision.Granted && !(_votes.Term == request.Term && _votes.VotedFor == request.NodeId))
            {
                try
                {
                    _votes.Record(request.Term, request.NodeId);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // A vote that cannot be remembered is not given: forgetting it could mean voting twice in a term.
                    _log.Warning($"Cannot record a vote in {_votes.Path}: {ex.Message}");
                    return new PeerVoteReply(false, $"this member cannot record its vote ({ex.Message})", _watch.Term);
                }
                // The candidate is now the node this member takes for the primary: it vouches for nobody else,
                // and votes again only when the candidate, too, is gone.
                _watch = new LeaderWatch(request.Term, request.NodeId, now, grantedVote: true);
                _leaderChangedAtMs = now;
            }
        }
        _log.Info($"Vote in term {request.Term} for {NameOf(request.NodeId)} (received {candidateLsn}): {(decision.Granted ? "granted" : "refused")}, {decision.Reason}.");
        return new PeerVoteReply(decision.Granted, decision.Reason, Math.Max(_watch.Term, _votes.Term));
    }
}
