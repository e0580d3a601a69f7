using System.Diagnostics;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>A standby follows the primary; the witness keeps its copy of the metadata.</summary>
internal sealed partial class NodeMonitor
{
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
                throw new PgHaException(PgHaErrorIds.FollowNotStandby, Self.Name,
                    $"The metadata on {leader.Name} registers {Self.Name} as an {(recorded.Active ? "active" : "inactive")} {recorded.Role.ToString().ToLowerInvariant()}, not an active standby: it is not moved.");
            }
            FollowPlan plan = planning.Result with { Node = recorded };
            // The follow waits up to a minute for streaming; should the primary it follows be lost meanwhile (a new
            // primary cut off right after its promotion), the wait ends, so that this standby can stand in the
            // election at once (fault run: it waited 60 s, and the cluster had no primary until then).
            using var leaderLost = new CancellationTokenSource();
            Task watching = CancelWhenLeaderLostAsync(_watch, leaderLost);
            PgHaRoleChange result;
            try
            {
                result = await NodeFollow.ApplyAsync(_context, plan, _settings.RoleChangeTimeout, "failover_follow", leaderLost.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (leaderLost.IsCancellationRequested && !Ct.IsCancellationRequested)
            {
                _log.Warning($"{Self.Name} stops following {leader.Name}: it is lost for this member too.");
                return;
            }
            finally
            {
                await leaderLost.CancelAsync().ConfigureAwait(false);
                await watching.ConfigureAwait(false);
            }
            _notStreamingSinceMs = null;
            _lastMetadataRefreshMs = long.MinValue / 2;
            if (result.Changed)
            {
                _log.Info($"{Self.Name} follows the primary {leader.Name} (term {_watch.Term}) after {Elapsed(clock)}.");
            }
        }
        catch (PgHaException ex) when (ex.ErrorId is PgHaErrorIds.FollowDiverged or PgHaErrorIds.FollowTimelineMismatch)
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

    /// <summary>Cancels <paramref name="lost"/> once <paramref name="following"/>'s leader has failed or another term began; ends when it is cancelled.</summary>
    private async Task CancelWhenLeaderLostAsync(LeaderWatch following, CancellationTokenSource lost)
    {
        while (!lost.IsCancellationRequested && !Ct.IsCancellationRequested)
        {
            bool gone;
            lock (_gate)
            {
                gone = !ReferenceEquals(_watch, following) ? _watch.Term > following.Term : following.HasFailed(NowMs, _settings);
            }
            if (gone)
            {
                await lost.CancelAsync().ConfigureAwait(false);
                return;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), lost.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

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
            ConsensusSettings consensus;
            await using (var source = await NodeConnector.OpenAsync(_context, leaderConninfo, NodeConnector.MetadataDatabaseOf(leaderConninfo)).ConfigureAwait(false))
            {
                var store = new MetadataStore(source);
                nodes = await store.GetNodesAsync(Ct).ConfigureAwait(false);
                state = await store.GetClusterStateAsync(Ct).ConfigureAwait(false);
                consensus = await store.GetConsensusAsync(Ct).ConfigureAwait(false);
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
            if (!(await copy.GetConsensusAsync(Ct).ConfigureAwait(false)).SameChoiceAs(consensus))
            {
                await copy.SetConsensusAsync(consensus, Ct).ConfigureAwait(false); // the witness's monitor reads its own copy first
            }
            await tx.CommitAsync(Ct).ConfigureAwait(false);
            _lastWitnessSyncMs = now;
            _lastWitnessSyncTerm = state.Term;
        }
        catch (Exception ex) when (ex is PgHaException or InvalidDataException)
        {
            _log.Warning($"Refreshing the witness's copy of the metadata failed: {ex.Message}");
        }
    }
}
