using System.Diagnostics;
using System.Globalization;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Sql;
using PgHa.Transport;

namespace PgHa.Operations.Monitor;

/// <summary>What the monitor does in each role: primary, former primary, standby, candidate, voter, witness.</summary>
internal sealed partial class NodeMonitor
{
    private static readonly TimeSpan NotStreamingBeforeFollow = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DivergedRetryDelay = TimeSpan.FromSeconds(30);
    private long _divergedReportedTerm = -1;

    private long _leaderChangedAtMs;
    private long _lastSynchronousCheckMs;
    private long _lastWitnessSyncTerm;
    private SynchronousGuard? _synchronousGuard;
    private long? _notStreamingSinceMs;

    // ---------------------------------------------------------------- primary

    /// <summary>
    /// The node is the writable leader of its term (<see cref="HaAction.Lead"/>): it may take writes for as long
    /// as its lease lasts (kept and checked apart from this loop, see NodeMonitor.Lease.cs).
    /// </summary>
    private async Task LeadAsync(bool removeOwnSignal)
    {
        if (removeOwnSignal)
        {
            await RemoveSignalAsync().ConfigureAwait(false);
        }
        long? announce;
        lock (_gate)
        {
            _fenced = false;
            _watch.Seen(NowMs);
            announce = _announcePendingTerm;
            _announcePendingTerm = null;
        }
        if (announce is { } term && term == _watch.Term)
        {
            await AnnounceNewTermAsync(term).ConfigureAwait(false);
        }
        lock (_gate)
        {
            // From here the lease timer watches it: its lease is what it was (an election won, a resume, a
            // majority that took its announced term), and ends unless a majority keeps vouching.
            _mayTakeWrites = IsLeader;
        }
        if (!IsLeader && !_paused)
        {
            // A status answer in the lease loop told of a newer term while this round ran.
            await FenceStaleAsync($"{NameOf(_watch.LeaderId)} leads the newer term {_watch.Term}").ConfigureAwait(false);
            return;
        }
        await WriteMonitoringHistoryAsync().ConfigureAwait(false);
        await GuardSynchronousReplicationAsync().ConfigureAwait(false);
    }

    private async Task GuardSynchronousReplicationAsync()
    {
        long now = NowMs;
        if (now - _lastSynchronousCheckMs < _settings.MonitorInterval.TotalMilliseconds)
        {
            return;
        }
        _lastSynchronousCheckMs = now;
        _synchronousGuard ??= new SynchronousGuard(_settings.SynchronousPolicy, _settings.SynchronousTimeout, _log);
        try
        {
            await using var connection = await NodeConnector.OpenAsync(_context, LocalConninfo, NodeConnector.MetadataDatabaseOf(LocalConninfo)).ConfigureAwait(false);
            if (await _synchronousGuard.CheckAsync(connection, now, Ct).ConfigureAwait(false) is { } happened)
            {
                QueueEvent(Self, happened.Event, happened.Successful, happened.Details);
            }
        }
        catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException)
        {
            _log.Warning($"Checking synchronous replication failed: {ex.Message}");
        }
    }

    /// <summary>
    /// Tells the members that this node leads <paramref name="term"/>. Once a majority (itself included) has
    /// taken the term, each of them watches it afresh, so no majority can vote it out for a detection window:
    /// its fence clock may start here. Until then the clock left from before stands (a primary nobody takes
    /// for one must fence itself), and the announcement is made again next round.
    /// </summary>
    private async Task AnnounceNewTermAsync(long term)
    {
        LeaseRenewal taken = await _consensus.AnnounceAsync(term, NowMs, Ct).ConfigureAwait(false);
        bool majority = taken.ValidUntilMs is not null;
        lock (_gate)
        {
            if (taken.ValidUntilMs is { } until)
            {
                ExtendLeaseTo(until);
            }
            else if (_watch.Term == term && _watch.LeaderId == Self.Id)
            {
                _announcePendingTerm ??= term;
            }
        }
        _log.Debug($"Announced term {term}: {taken.Backers - 1} of {taken.Members - 1} other members took it{(majority ? string.Empty : "; announcing again next round")}.");
    }

    private async Task FenceRunningAsync(string why)
    {
        var clock = Stopwatch.StartNew();
        await Fencing.FenceRunningAsync(_context, SelfHost).ConfigureAwait(false);
        lock (_gate)
        {
            _fenced = true;
            _mayTakeWrites = false;
            _signalPlacedByMe = false; // a fence is meant to last: only a rejoin or a promotion ends it
            _serverRunning = false;
            _local = null;
            _role = MonitorRole.Down;
            _localDownSinceMs = NowMs;
        }
        QueueEvent(Self, "primary_fenced", true, $"{Self.Name} fenced itself in {Elapsed(clock)} (standby.signal, immediate stop): {why}");
    }

    private Task FenceStaleAsync(string why) =>
        FenceOnceAsync(() =>
        {
            lock (_gate)
            {
                return !_fenced && _serverRunning;
            }
        }, why, stale: true);

    private async Task RemoveSignalAsync()
    {
        await using INodeTransport host = await SelfHost.OpenAsync(_context).ConfigureAwait(false);
        await host.RunAsync("rm", ["-f", Fencing.SignalPath(SelfHost)], null, Ct).ConfigureAwait(false);
        _signalPlacedByMe = false;
        _log.Info($"{Self.Name} runs as the primary again; removed the standby.signal placed while it was down.");
    }

    // ---------------------------------------------------------------- former or failed primary

    /// <summary>
    /// The node was the primary and its server has not run for the grace (<see cref="HaAction.FenceStopped"/>):
    /// fence the data directory and say so, which lets the others fail over without waiting the whole
    /// detection window. Once another node leads, the loop rejoins it as a standby (or leaves it fenced).
    /// </summary>
    private async Task FenceStoppedAsync()
    {
        long since = _localDownSinceMs ?? NowMs;
        bool fenced = await Fencing.FenceStoppedAsync(_context, SelfHost).ConfigureAwait(false);
        if (!fenced)
        {
            _log.Info($"{Self.Name}'s server runs again; not fencing it.");
            return;
        }
        lock (_gate)
        {
            _fenced = true;
            _signalPlacedByMe = IsLeader;
        }
        QueueEvent(Self, "primary_fenced", true, $"{Self.Name}'s server has not run for {Seconds(Since(since))}; standby.signal placed so that it can only start read-only");
    }

    private async Task RejoinAsync()
    {
        NodeRecord? leader = _members.ById(_watch.LeaderId);
        if (leader is null || !await LeaderAnswersAsync(leader).ConfigureAwait(false))
        {
            return;
        }
        // What happened while it was cut off (its fence) is recorded on the new primary before the rejoin, which can take a while.
        await FlushPendingEventsAsync().ConfigureAwait(false);
        _log.Info($"Rejoining {Self.Name} as a standby of {leader.Name} (term {_watch.Term}).");
        var clock = Stopwatch.StartNew();
        try
        {
            var request = new RejoinRequest([NodeRecordLookup.ConninfoOf(leader)], null, Self.Id, null, ForceRewind: true, _settings.RoleChangeTimeout);
            RejoinPlan plan = await NodeRejoin.PlanAsync(_context, request).ConfigureAwait(false);
            PgHaRoleChange result = await NodeRejoin.ApplyAsync(_context, plan).ConfigureAwait(false);
            lock (_gate)
            {
                _fenced = false;
                _signalPlacedByMe = false;
            }
            _lastMetadataRefreshMs = long.MinValue / 2;
            _log.Info($"{Self.Name} rejoined {leader.Name} by {result.Method} in {Elapsed(clock)}.");
        }
        catch (PgHaException ex)
        {
            _nextRoleChangeMs = NowMs + (long)RoleChangeRetryDelay.TotalMilliseconds;
            _log.Warning($"Rejoining {Self.Name} failed ({ex.ErrorId}): {ex.Message} It stays fenced; trying again in {RoleChangeRetryDelay.TotalSeconds:0} s.");
        }
    }

    // ---------------------------------------------------------------- standby

    private void NoteOnce(string note)
    {
        if (_lastWaitingNote != note)
        {
            _lastWaitingNote = note;
            _log.Info(note);
        }
    }

    /// <summary>
    /// Runs one election. Only the best standby (most WAL, then priority, then lowest id) among those whose
    /// monitors answer stands; the others wait for it. It asks every member for its vote in a term newer than
    /// any it knows, and promotes on a majority of all members.
    /// </summary>
    private async Task TryElectionAsync()
    {
        // The longer vote timeout here: a member that answers late must still count as an entrant, or a lesser
        // standby would stand against it and both would split the term.
        IReadOnlyDictionary<int, PeerStatus?> statuses = await _consensus.MembersAsync(_settings.VoteTimeout, Ct).ConfigureAwait(false);
        if (!IsLeader && !_watch.HasFailed(NowMs, _settings))
        {
            return; // a newer primary was just learned of
        }
        NodeRecord? failed = _members.ById(_watch.LeaderId);
        if (statuses.Values.FirstOrDefault(s => s is { SeesLeader: true } && s.Term == _watch.Term && s.LeaderId == _watch.LeaderId) is { } sees)
        {
            NoteOnce($"{sees.NodeName} still sees the primary {NameOf(_watch.LeaderId)}: not electing.");
            return;
        }
        if (failed is not null && failed.Location != Self.Location)
        {
            // The seed's cross-site rule: a standby in another location than the primary's promotes only when a
            // member in the primary's location confirms it is gone; otherwise it is the link between sites that failed.
            bool confirmedThere = _members.Others.Any(n => n.Location == failed.Location && n.Id != failed.Id
                && statuses.GetValueOrDefault(n.Id) is { LeaderFailed: true });
            if (!confirmedThere)
            {
                NoteOnce($"No member in {failed.Name}'s location '{failed.Location}' confirms it is gone; not promoting {Self.Name} in '{Self.Location}'.");
                return;
            }
        }

        var entrants = new List<ElectionEntrant>();
        if (OwnLsn() is { } ownLsn && _local is { InRecovery: true })
        {
            entrants.Add(new ElectionEntrant(Self.Id, Self.Name, ownLsn, Self.Priority));
        }
        foreach (var (id, status) in statuses)
        {
            // A candidate is a standby too: leaving it out would let a lesser standby stand against it.
            if (status is { Role: MonitorRole.Standby or MonitorRole.Candidate, ServerRunning: true, Paused: false, ReceivedLsn: { } lsn } && status.Priority > 0
                && status.Failover == PgHaFailoverMode.Automatic && _members.ById(id) is { Role: PgHaRole.Standby or PgHaRole.Primary, Active: true })
            {
                entrants.Add(new ElectionEntrant(id, status.NodeName, PgHaLsn.Parse(lsn), status.Priority));
            }
        }
        ElectionEntrant? winner = ElectionRules.Winner(entrants);
        if (winner is null || winner.NodeId != Self.Id)
        {
            NoteOnce(winner is null ? "No standby can be promoted." : $"The primary {NameOf(_watch.LeaderId)} is gone; {winner.Name} (received {winner.ReceivedLsn}, priority {winner.Priority}) should be promoted: waiting for it.");
            return;
        }

        IEnumerable<PreVoteView> views = statuses.Where(kv => kv.Value is not null).Select(kv => new PreVoteView(kv.Value!.Paused, kv.Value.LeaderFailed,
            kv.Key == failed?.Id && kv.Value.Fenced && !kv.Value.ServerRunning));
        if (!ElectionRules.MayStand(_members.Nodes.Count, views))
        {
            NoteOnce($"The primary {NameOf(_watch.LeaderId)} is gone for {Self.Name}, but not yet for a majority of the members that answer: not standing yet.");
            return;
        }
        if (TermRules.Next(Math.Max(Math.Max(_watch.Term, _votes.Term), statuses.Values.Max(s => s?.Term ?? 0))) is not { } term)
        {
            NoteOnce($"No election is possible: the terms known are at PgHa's ceiling ({TermRules.Ceiling}), which no election ever reaches. Stop every monitor and reset the term (pgha.cluster_state) and the vote files.");
            return;
        }
        PgHaLsn myLsn = winner.ReceivedLsn;
        long oldTerm = _watch.Term;
        int? oldLeader = _watch.LeaderId;
        lock (_gate)
        {
            _votes.Record(term, Self.Id);
            _role = MonitorRole.Candidate;
            _watch = new LeaderWatch(term, Self.Id, NowMs);
        }
        _log.Info($"The primary {NameOf(oldLeader)} is gone: {Self.Name} stands in term {term} (received {myLsn}).");
        var clock = Stopwatch.StartNew();
        ElectionOutcome outcome = await _consensus.RequestLeadershipAsync(term, myLsn, Ct).ConfigureAwait(false);
        if (!outcome.Won)
        {
            lock (_gate)
            {
                _role = MonitorRole.Standby;
                _watch = new LeaderWatch(oldTerm, oldLeader, NowMs);
                _watch.Missed(confirmedDown: true); // it had failed before the election; keep it failed
            }
            // A short random wait, so that two candidates that split a term do not split the next one too.
            _nextRoleChangeMs = NowMs + Random.Shared.Next(200, 800);
            QueueEvent(Self, "failover_aborted", false, $"{Self.Name} got {outcome.Granted} of {outcome.Members} votes in term {term} (a majority is {outcome.Quorum}): {outcome.Tally}");
            return;
        }

        _log.Info($"{Self.Name} won term {term} with {outcome.Granted} of {outcome.Members} votes in {Elapsed(clock)} ({outcome.Tally}); promoting.");
        try
        {
            int timeline = await RoleChanges.PromoteAsync(_context, Self.Name, LocalConninfo, _settings.RoleChangeTimeout).ConfigureAwait(false);
            lock (_gate)
            {
                _role = MonitorRole.Primary;
                ExtendLeaseTo(outcome.LeaseUntilMs!.Value);
                _mayTakeWrites = IsLeader;
                _leaderChangedAtMs = NowMs;
            }
            _log.Info($"{Self.Name} is the primary of term {term} on timeline {timeline}, {Elapsed(clock)} after the election began.");
            await _consensus.AnnounceAsync(term, NowMs, Ct).ConfigureAwait(false); // the standbys follow without waiting for their next check
            await RecordPromotionAsync(term, oldLeader, timeline,
                $"{Self.Name} promoted in term {term} after the primary {NameOf(oldLeader)} was lost; {outcome.Granted} of {outcome.Members} votes ({outcome.Tally}); received {myLsn}; timeline {timeline}").ConfigureAwait(false);
        }
        catch (PgHaException ex)
        {
            lock (_gate)
            {
                _role = _local is { InRecovery: true } ? MonitorRole.Standby : _role;
            }
            _nextRoleChangeMs = NowMs + (long)RoleChangeRetryDelay.TotalMilliseconds;
            QueueEvent(Self, "failover_promote", false, $"{Self.Name} won term {term} but its promotion failed: {ex.Message}");
        }
    }

    private async Task RecordPromotionAsync(long term, int? oldLeaderId, int timeline, string details)
    {
        var changed = new List<NodeRecord>();
        if (_members.ById(oldLeaderId) is { } old && old.Id != Self.Id)
        {
            changed.Add(old with { Active = false });
            // The old primary's other standbys are meant to stream from the new one now. Recording it is what lets
            // a standby whose monitor was down during the failover be re-pointed later: it would otherwise keep
            // streaming from the old primary once that rejoins (cascading through it), which its record still named.
            changed.AddRange(_members.Nodes
                .Where(n => n.Id != Self.Id && n.Id != old.Id && n.Role == PgHaRole.Standby && n.UpstreamId == old.Id)
                .Select(n => n with { UpstreamId = Self.Id }));
        }
        changed.Add(Self with { Role = PgHaRole.Primary, UpstreamId = null, Active = true });
        try
        {
            await RoleChanges.RecordAsync(_context, LocalConninfo, changed, [(Self, "failover_promote", true, details)]).ConfigureAwait(false);
            await using var connection = await NodeConnector.OpenAsync(_context, LocalConninfo, NodeConnector.MetadataDatabaseOf(LocalConninfo)).ConfigureAwait(false);
            var store = new MetadataStore(connection);
            await store.SetTermAsync(term, Self.Id, Ct).ConfigureAwait(false);
            if (_metadataPaused)
            {
                // Promoted, so this monitor was not paused: a pause flag copied from the old primary was ended by a
                // Resume-PgHaMonitor that could only reach the monitors. The metadata says so from now on.
                await store.SetPausedAsync(false, null, Ct).ConfigureAwait(false);
            }
            _log.Info($"Recorded {Self.Name} as the primary of term {term} (timeline {timeline.ToString(CultureInfo.InvariantCulture)}).");
        }
        catch (PgHaException ex)
        {
            _log.Warning($"{Self.Name} is the primary but the metadata could not be updated: {ex.Message}");
        }
        _lastMetadataRefreshMs = long.MinValue / 2;
    }

    /// <summary>A standby whose primary is alive streams from it: after a failover it follows the new primary, checking timelines first.</summary>
    private async Task FollowLeaderIfNeededAsync()
    {
        NodeRecord? leader = _members.ById(_watch.LeaderId);
        if (leader is null || _local is null || leader.Id == Self.Id)
        {
            return;
        }
        long now = NowMs;
        ConnectionInfo leaderConninfo = NodeRecordLookup.ConninfoOf(leader);
        bool streamingFromLeader = _local.ReceiverStatus == "streaming" && NodeEndpoint.Of(leaderConninfo).Matches(_local.SenderHost, _local.SenderPort);
        bool cascading = _members.ById(Self.UpstreamId) is { Role: PgHaRole.Standby, Active: true } upstream && _local.ReceiverStatus == "streaming"
            && NodeEndpoint.Of(NodeRecordLookup.ConninfoOf(upstream)).Matches(_local.SenderHost, _local.SenderPort);
        if (streamingFromLeader || cascading)
        {
            _notStreamingSinceMs = null;
            return;
        }
        _notStreamingSinceMs ??= now;
        bool leaderIsNew = now - _leaderChangedAtMs < HaRules.FollowAfterLeaderChange.TotalMilliseconds;
        if ((!leaderIsNew && now - _notStreamingSinceMs < NotStreamingBeforeFollow.TotalMilliseconds) || now < _nextRoleChangeMs)
        {
            return;
        }
        var clock = Stopwatch.StartNew();
        _log.Debug($"{Self.Name} does not stream from the primary {leader.Name} ({_local.ReceiverStatus ?? "no WAL receiver"}): following it.");
        try
        {
            // The plan is made from this node's copy of the records while the primary's are read: the copy cannot
            // know the new term before this node streams from there, but it knows the members and their addresses.
            // The change is recorded from the primary's own record of this node, and when the copy does not even
            // take this node for an active standby, the primary's records are waited for and planned from.
            Task<(IReadOnlyList<NodeRecord> Nodes, ConnectionInfo Source)> readingRecords = MetadataReader.ReadNodesAsync(_context, [leaderConninfo]);
            IReadOnlyList<NodeRecord> planFrom = Self is { Role: PgHaRole.Standby, Active: true }
                ? _members.Nodes
                : (await readingRecords.ConfigureAwait(false)).Nodes;
            Task<FollowPlan> planning = NodeFollow.PlanAsync(_context, planFrom,
                NodeRecordLookup.ByName(planFrom, Self.Name), NodeRecordLookup.ByName(planFrom, leader.Name), leaderConninfo);
            await Task.WhenAll(planning, readingRecords).ConfigureAwait(false);
            NodeRecord recorded = NodeRecordLookup.ByName(readingRecords.Result.Nodes, Self.Name);
            if (recorded is not { Role: PgHaRole.Standby, Active: true })
            {
                throw new PgHaException("PgHaFollowNotStandby", System.Management.Automation.ErrorCategory.InvalidOperation, Self.Name,
                    $"The metadata on {leader.Name} registers {Self.Name} as an {(recorded.Active ? "active" : "inactive")} {recorded.Role.ToString().ToLowerInvariant()}, not an active standby: it is not moved.");
            }
            FollowPlan plan = planning.Result with { Node = recorded };
            PgHaRoleChange result = await NodeFollow.ApplyAsync(_context, plan, _settings.RoleChangeTimeout, "failover_follow").ConfigureAwait(false);
            _notStreamingSinceMs = null;
            _lastMetadataRefreshMs = long.MinValue / 2;
            if (result.Changed)
            {
                _log.Info($"{Self.Name} follows the primary {leader.Name} (term {_watch.Term}) after {Elapsed(clock)}.");
            }
        }
        catch (PgHaException ex) when (ex.ErrorId is "PgHaFollowDiverged" or "PgHaFollowTimelineMismatch")
        {
            // Trying again every 2 s changes nothing: its WAL went past the new primary's fork point (a priority-0
            // standby with more WAL than the winner, or one whose monitor was down during the failover). Said once
            // per term, as an event an operator's hook and Get-PgHaEvent see, with the way back; tried again slowly
            // in case an operator rejoined it meanwhile.
            _nextRoleChangeMs = NowMs + (long)DivergedRetryDelay.TotalMilliseconds;
            if (_divergedReportedTerm != _watch.Term)
            {
                _divergedReportedTerm = _watch.Term;
                QueueEvent(Self, "failover_follow", false,
                    $"{Self.Name} cannot follow the new primary {leader.Name} (term {_watch.Term}): {ex.Message} " +
                    $"It keeps running as a standby of its old timeline, read-only. To bring it back: Stop-PgHaNode -Name {Self.Name}, then Invoke-PgHaRejoin -Name {Self.Name} -ForceRewind.");
            }
            else
            {
                _log.Debug($"{Self.Name} still cannot follow {leader.Name} ({ex.ErrorId}).");
            }
        }
        catch (PgHaException ex)
        {
            _nextRoleChangeMs = NowMs + (long)RoleChangeRetryDelay.TotalMilliseconds;
            _log.Warning($"{Self.Name} cannot follow {leader.Name} ({ex.ErrorId}): {ex.Message}");
        }
    }

    // ---------------------------------------------------------------- requests from other monitors

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
            _directPause = paused;
            _directPauseAtMs = NowMs;
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
                _watch = new LeaderWatch(request.Term, request.NodeId, now);
                _leaderChangedAtMs = now;
            }
        }
        _log.Info($"Vote in term {request.Term} for {NameOf(request.NodeId)} (received {candidateLsn}): {(decision.Granted ? "granted" : "refused")}, {decision.Reason}.");
        return new PeerVoteReply(decision.Granted, decision.Reason, Math.Max(_watch.Term, _votes.Term));
    }

    // ---------------------------------------------------------------- witness and history

    /// <summary>The witness keeps a copy of the node records and cluster state, taken from the primary.</summary>
    private async Task SyncWitnessAsync()
    {
        long now = NowMs;
        bool newTerm = _lastWitnessSyncTerm != _watch.Term;
        if (!newTerm && now - _lastWitnessSyncMs < _settings.WitnessSyncInterval.TotalMilliseconds)
        {
            return;
        }
        NodeRecord? leader = _members.ById(_watch.LeaderId);
        if (leader is null || !_serverRunning || !_watch.Vouches(now, _settings))
        {
            return;
        }
        try
        {
            ConnectionInfo leaderConninfo = NodeRecordLookup.ConninfoOf(leader);
            IReadOnlyList<NodeRecord> nodes;
            ClusterStateRecord? state;
            await using (var source = await NodeConnector.OpenAsync(_context, leaderConninfo, NodeConnector.MetadataDatabaseOf(leaderConninfo)).ConfigureAwait(false))
            {
                var store = new MetadataStore(source);
                nodes = await store.GetNodesAsync(Ct).ConfigureAwait(false);
                state = await store.GetClusterStateAsync(Ct).ConfigureAwait(false);
            }
            if (state is null || state.Term < _watch.Term)
            {
                return;
            }
            await using var connection = await NodeConnector.OpenAsync(_context, LocalConninfo, NodeConnector.MetadataDatabaseOf(LocalConninfo)).ConfigureAwait(false);
            var copy = new MetadataStore(connection);
            await using var tx = await connection.BeginTransactionAsync(Ct).ConfigureAwait(false);
            await copy.LockAsync(Ct).ConfigureAwait(false);
            await copy.ReplaceNodesAsync(nodes, Ct).ConfigureAwait(false);
            await copy.ReplaceClusterStateAsync(state, Ct).ConfigureAwait(false);
            await tx.CommitAsync(Ct).ConfigureAwait(false);
            _lastWitnessSyncMs = now;
            _lastWitnessSyncTerm = state.Term;
        }
        catch (PgHaException ex)
        {
            _log.Warning($"Refreshing the witness's copy of the metadata failed: {ex.Message}");
        }
    }

    private async Task WriteMonitoringHistoryAsync()
    {
        long now = NowMs;
        if (_settings.MonitoringHistoryInterval <= TimeSpan.Zero || now - _lastHistoryMs < _settings.MonitoringHistoryInterval.TotalMilliseconds)
        {
            return;
        }
        _lastHistoryMs = now;
        try
        {
            await using var connection = await NodeConnector.OpenAsync(_context, LocalConninfo, NodeConnector.MetadataDatabaseOf(LocalConninfo)).ConfigureAwait(false);
            await MonitoringHistory.SampleAsync(connection, Self.Id, Ct).ConfigureAwait(false);
            if (now - _lastHistoryPurgeMs >= MonitoringHistory.PurgeInterval.TotalMilliseconds)
            {
                _lastHistoryPurgeMs = now;
                long removed = await MonitoringHistory.PurgeAsync(connection, _settings.MonitoringHistoryRetention, Ct).ConfigureAwait(false);
                if (removed > 0)
                {
                    _log.Info($"Removed {removed} monitoring history samples older than {_settings.MonitoringHistoryRetention.TotalDays:0.##} days.");
                }
            }
        }
        catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException)
        {
            _log.Warning($"Writing monitoring history failed: {ex.Message}");
        }
    }
}
