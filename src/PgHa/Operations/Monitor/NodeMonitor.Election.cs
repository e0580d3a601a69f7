using System.Diagnostics;
using System.Globalization;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Operations.Service;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>An election: who stands, the vote through the consensus, the promotion and its record.</summary>
internal sealed partial class NodeMonitor
{
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
        LeaderWatch watched = _watch; // read once: the term, the leader and whether its failure is confirmed belong to one watch
        if (ElectionRules.StillSeesLeader(statuses.Values, watched.Term, watched.LeaderId, watched.ConfirmedDown) is { } sees)
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
        if (OwnLsn() is { } ownLsn && _local is { InRecovery: true } && !StandsAside)
        {
            entrants.Add(new ElectionEntrant(Self.Id, Self.Name, ownLsn, Self.Priority));
        }
        foreach (var (id, status) in statuses)
        {
            // A candidate is a standby too: leaving it out would let a lesser standby stand against it.
            if (status is { Role: MonitorRole.Standby or MonitorRole.Candidate, ServerRunning: true, Paused: false, StandsAside: false, ReceivedLsn: { } lsn } && status.Priority > 0
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

        if (await _consensus.WhyNotStandAsync(statuses, failed?.Id, Ct).ConfigureAwait(false) is { } notNow)
        {
            NoteOnce($"The primary {NameOf(_watch.LeaderId)} is gone for {Self.Name}, but it does not stand yet: {notNow}.");
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
        lock (_gate)
        {
            // The majority granted the lease with the term; it matters once the server takes writes. It replaces
            // whatever this node held (a first start's window, which no voter vouched for, must not outlast it).
            _lease = new PrimaryLease(outcome.LeaseUntilMs!.Value);
            SaveLeaseRecord();
            // A leader that gave its term up without being promoted (it stands aside) replaced nobody and is no
            // former primary: it stays an active standby, pointed where it was, and follows this node.
            int? replaced = oldLeader is { } old && statuses.GetValueOrDefault(old) is { StandsAside: true } ? null : oldLeader;
            _wonTerm = new WonTerm(term, oldLeader, replaced, clock,
                $"{outcome.Granted} of {outcome.Members} votes ({outcome.Tally}); received {myLsn}", Attempts: 0);
        }
        await PromoteWonTermAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// This node won <see cref="WonTerm.Term"/>: promote its server (unless it already left recovery: an attempt
    /// whose answer was lost may have done it), announce the term and record it. A failed attempt is tried
    /// again in the same term (<see cref="HaAction.Promote"/>), while the members keep taking this node for a
    /// candidate; after <see cref="PromotionAttempts"/> it gives the term up and stands aside for
    /// <see cref="StandAsideAfterFailedPromotion"/>, so that the next best standby is elected rather than the
    /// cluster staying without a primary (fault runs: a promotion whose session broke left the winner a standby
    /// that led its term, which nothing retried or replaced).
    /// </summary>
    private async Task PromoteWonTermAsync()
    {
        WonTerm? won;
        lock (_gate)
        {
            won = _wonTerm;
            if (won is null || won.Term != _watch.Term || !IsLeader)
            {
                _wonTerm = null; // a newer term was learned meanwhile: not this node's to promote any more
                return;
            }
        }
        long term = won.Term;
        int timeline;
        try
        {
            timeline = await PromoteUnlessPromotedAsync(won).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException or IOException or TimeoutException && !Ct.IsCancellationRequested)
        {
            await PromotionFailedAsync(won, ex).ConfigureAwait(false);
            return;
        }
        lock (_gate)
        {
            _role = MonitorRole.Primary;
            _mayTakeWrites = IsLeader;
            _leaderChangedAtMs = NowMs;
            _wonTerm = null;
        }
        _log.Info($"{Self.Name} is the primary of term {term} on timeline {timeline}, {Elapsed(won.Clock)} after the election began.");
        await _consensus.AnnounceAsync(term, NowMs, Ct).ConfigureAwait(false); // the standbys follow without waiting for their next check
        await RecordPromotionAsync(term, won.ReplacedLeaderId, timeline,
            $"{Self.Name} promoted in term {term} after the primary {NameOf(won.OldLeaderId)} was lost; {won.Votes}; timeline {timeline}").ConfigureAwait(false);
    }

    /// <summary>
    /// Promotes the local server, or only reads its timeline when it already left recovery. Returns the timeline.
    /// Marks <paramref name="won"/> once pg_promote may have reached the server: that promotion cannot be called off.
    /// </summary>
    private async Task<int> PromoteUnlessPromotedAsync(WonTerm won)
    {
        await using var connection = await NodeConnector.OpenAsync(_context, LocalConninfo, NodeConnector.MetadataDatabaseOf(LocalConninfo)).ConfigureAwait(false);
        NodeProbeResult probe = await NodeProbe.ProbeAsync(connection, Ct).ConfigureAwait(false);
        if (!probe.InRecovery)
        {
            return probe.Timeline ?? 0;
        }
        var clock = Stopwatch.StartNew();
        bool requestedBefore = won.PromoteRequested;
        won.PromoteRequested = true;
        try
        {
            await RoleChanges.RequestPromotionAsync(_context, Self.Name, connection, _settings.RoleChangeTimeout).ConfigureAwait(false);
        }
        catch (Npgsql.PostgresException)
        {
            won.PromoteRequested = requestedBefore; // the server refused it: this attempt started nothing
            throw;
        }
        return await RoleChanges.WaitForPromotionAsync(_context, Self.Name, connection, _settings.RoleChangeTimeout, clock).ConfigureAwait(false);
    }

    /// <summary>
    /// An attempt to promote failed: try again in the term after a delay, or, after the last attempt, give the term
    /// up and stand aside. A promotion that pg_promote may have started cannot be called off but by a restart of
    /// the server (which drops the promote signal; standby.signal brings it back read-only): it is restarted, so
    /// that it cannot leave recovery later beside the primary the others elect.
    /// </summary>
    private async Task PromotionFailedAsync(WonTerm won, Exception ex)
    {
        long term = won.Term;
        // A server that already answers as a primary did promote: what failed is the step after it (a session, the
        // announcement), which is tried again without counting, so that a promoted primary never gives its term up.
        bool promotedAnyway = _local is { InRecovery: false } && _serverRunning;
        int attempts = promotedAnyway ? won.Attempts : won.Attempts + 1;
        bool again = attempts < PromotionAttempts;
        if (!again && won.PromoteRequested)
        {
            try
            {
                _log.Warning($"Restarting {Self.Name}'s server in immediate mode: a promotion it may have begun must not finish after it gave term {term} up.");
                await NodeService.RestartAsync(_context, SelfHost, PgHaStopMode.Immediate, null, _settings.RoleChangeTimeout).ConfigureAwait(false);
            }
            catch (PgHaException restart)
            {
                _log.Warning($"Restarting {Self.Name}'s server failed: {restart.Message}");
            }
        }
        lock (_gate)
        {
            if (again)
            {
                _wonTerm = won with { Attempts = attempts };
                _role = MonitorRole.Candidate;
            }
            else
            {
                // Given up: a fresh watch of its own term (a lease renewal asked for before this is not taken), and no lease.
                _wonTerm = null;
                _gaveUpTerm = term;
                _standAsideUntilMs = NowMs + (long)StandAsideAfterFailedPromotion.TotalMilliseconds;
                _watch = new LeaderWatch(term, Self.Id, NowMs);
                _lease = new PrimaryLease(NowMs);
                _role = _local is { InRecovery: true } ? MonitorRole.Standby : _role;
            }
        }
        _nextRoleChangeMs = NowMs + (long)(again ? RoleChangeRetryDelay : StandAsideAfterFailedPromotion).TotalMilliseconds;
        QueueEvent(Self, "failover_promote", false, again
            ? $"{Self.Name} won term {term} but its promotion failed (attempt {attempts} of {PromotionAttempts}): {ex.Message} Trying again in {RoleChangeRetryDelay.TotalSeconds:0} s."
            : $"{Self.Name} won term {term} but its promotion failed {attempts} times, the last: {ex.Message} It gives the term up and stands aside for " +
              $"{StandAsideAfterFailedPromotion.TotalSeconds:0} s, so that another standby can be elected; look at its server log.");
        if (!again)
        {
            await ResignAsync(term).ConfigureAwait(false); // etcd: the key it won goes now, or no other standby could take it
        }
    }

    private async Task RecordPromotionAsync(long term, int? oldLeaderId, int timeline, string details)
    {
        IReadOnlyList<NodeRecord> changed = PromotionRecords.Changed(_members.Nodes, Self.Id, oldLeaderId);
        try
        {
            await RoleChanges.RecordAsync(_context, LocalConninfo, changed, [(Self, "failover_promote", true, details)]).ConfigureAwait(false);
            await using var connection = await NodeConnector.OpenAsync(_context, LocalConninfo, NodeConnector.MetadataDatabaseOf(LocalConninfo)).ConfigureAwait(false);
            var store = new MetadataStore(connection);
            await store.SetTermAsync(term, Self.Id, Ct).ConfigureAwait(false);
            if (_pause.MetadataPaused)
            {
                // Promoted, so this monitor was not paused: a pause flag copied from the old primary was ended by a
                // Resume-PgHaMonitor that could only reach the monitors. The metadata says so from now on.
                await store.SetPausedAsync(false, null, Ct).ConfigureAwait(false);
            }
            _log.Info($"Recorded {Self.Name} as the primary of term {term} (timeline {timeline.ToString(CultureInfo.InvariantCulture)}).");
        }
        catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException or IOException or TimeoutException && !Ct.IsCancellationRequested)
        {
            _log.Warning($"{Self.Name} is the primary but the metadata could not be updated: {ex.Message}");
        }
        _lastMetadataRefreshMs = long.MinValue / 2;
    }

    /// <summary>This node could not promote in a term it won, moments ago: it does not stand, and the members leave it out.</summary>
    private bool StandsAside => NowMs < _standAsideUntilMs;

    /// <summary>A term this node won, until its promotion is done: what the record of it says, and the attempts so far.</summary>
    /// <param name="ReplacedLeaderId">The leader this term replaces in the records (inactive, its standbys re-pointed); null when it never was a primary.</param>
    private sealed record WonTerm(long Term, int? OldLeaderId, int? ReplacedLeaderId, Stopwatch Clock, string Votes, int Attempts)
    {
        /// <summary>pg_promote may have reached the server in one of the attempts: a promotion may be under way.</summary>
        public bool PromoteRequested { get; set; }
    }
}
