using System.Globalization;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>The metadata (members, term, pause) read from any member, and the events waiting for a writable primary.</summary>
internal sealed partial class NodeMonitor
{
    /// <summary>Reads the members and the cluster state: from this node's own copy when it answers, else from any member.</summary>
    private async Task RefreshMetadataAsync(bool force, TimeSpan? maxAge = null)
    {
        if (!force && NowMs - _lastMetadataRefreshMs < (maxAge ?? MetadataRefreshInterval).TotalMilliseconds)
        {
            return;
        }
        // Its own node first, then where it was told to look, then every member: the ones it knows now, or
        // (before its first read) the ones it knew before a restart.
        IEnumerable<ConnectionInfo> sources = _members is null ? _target.EntryPoints : [LocalConninfo, .. _target.EntryPoints];
        if (_members is not null)
        {
            sources = sources.Concat(_members.Others.Select(NodeRecordLookup.ConninfoOf));
        }
        else
        {
            sources = sources.Concat(_knownMembers.Load());
            if (_target.LocalConninfo is not null)
            {
                sources = sources.Prepend(_target.LocalConninfo);
            }
        }
        PgHaException? last = null;
        foreach (ConnectionInfo source in sources)
        {
            try
            {
                await using var connection = await NodeConnector.OpenAsync(_context, source, NodeConnector.MetadataDatabaseOf(source)).ConfigureAwait(false);
                var store = new MetadataStore(connection);
                await store.EnsureReadableAsync(source.ToDisplayString(), Ct).ConfigureAwait(false);
                IReadOnlyList<NodeRecord> nodes = await store.GetNodesAsync(Ct).ConfigureAwait(false);
                ClusterStateRecord state = await store.GetClusterStateAsync(Ct).ConfigureAwait(false)
                    ?? throw new PgHaException(PgHaErrorIds.MetadataTooOld, source.ToDisplayString(),
                        "The PgHa metadata has no cluster state (schema older than version 3). Upgrade it: run Register-PgHaNode -Force for the primary with this PgHa version.");
                await CheckConsensusAsync(store, source).ConfigureAwait(false);
                await ReadEventCountsAsync(connection).ConfigureAwait(false);
                await ApplyMetadataAsync(nodes, state).ConfigureAwait(false);
                _lastMetadataRefreshMs = NowMs;
                return;
            }
            catch (PgHaException ex) when (ex.ErrorId is PgHaErrorIds.NodeUnreachable or PgHaErrorIds.DatabaseMissing && !force)
            {
                last = ex;
            }
            catch (PgHaException ex) when (ex.ErrorId is PgHaErrorIds.NodeUnreachable)
            {
                last = ex;
            }
            catch (Npgsql.NpgsqlException ex) when (!Ct.IsCancellationRequested)
            {
                // A statement that failed on this source (its deadline passed: a member cut off mid-read, or one
                // shutting down) is an unreachable source: the next one is asked, as for a refused connection.
                last = new PgHaException(PgHaErrorIds.NodeUnreachable, source.ToDisplayString(),
                    $"Reading the metadata on '{source.ToDisplayString()}' failed: {ex.Message}", ex);
            }
        }
        if (force || _members is null)
        {
            throw last ?? new PgHaException(PgHaErrorIds.MetadataUnreachable, _target.NodeName,
                "No node with PgHa metadata answers.");
        }
    }

    /// <summary>
    /// The metadata records which consensus decides (Set-PgHaConsensus): the built-in peer quorum or etcd. A monitor
    /// runs the one recorded when it starts (an unreadable record: it refuses to run), and never decides beside
    /// monitors that decide by another: two monitors electing by different rules could each find a majority. A
    /// change seen later (made while paused, but a direct Resume may have reached this monitor) makes it stop
    /// standing and voting, said once, until it is restarted; it keeps its lease timer, so a primary it watches
    /// still fences itself when its lease ends; stopping the process would take that away too.
    /// </summary>
    private async Task CheckConsensusAsync(MetadataStore store, ConnectionInfo source)
    {
        PgHaException? refusal;
        try
        {
            ConsensusSettings recorded = await store.GetConsensusAsync(Ct).ConfigureAwait(false);
            if (_members is null)
            {
                _startConsensus = recorded; // the start: this monitor runs what is recorded
            }
            refusal = recorded.SameChoiceAs(_startConsensus) ? null
                : ConsensusMismatch(source, $"{ConsensusChange.Describe(recorded)} (Set-PgHaConsensus, {recorded.ChangedAt:u} by {recorded.ChangedBy ?? "?"})");
        }
        catch (InvalidDataException ex)
        {
            refusal = ConsensusMismatch(source, $"a consensus this version cannot read ({ex.Message})");
        }
        if (refusal is not null && _members is null)
        {
            throw refusal; // at the start: refuse to run
        }
        bool changed;
        lock (_gate)
        {
            changed = (_consensusRefusal is null) != (refusal is null);
            _consensusRefusal = refusal?.Message;
        }
        if (changed)
        {
            if (refusal is not null)
            {
                _log.Warning($"{refusal.ErrorId}: {refusal.Message} Until then this monitor neither stands nor votes; it still fences its primary when the lease ends.");
            }
            else
            {
                _log.Info($"The metadata records {ConsensusChange.Describe(_startConsensus)} again, which this monitor runs: it stands and votes again.");
            }
        }
    }

    private PgHaException ConsensusMismatch(ConnectionInfo source, string recorded) =>
        new(PgHaErrorIds.MonitorConsensusMismatch, _target.NodeName ?? source.ToDisplayString(),
            $"The metadata on {source.ToDisplayString()} records {recorded} as the cluster's consensus, but this monitor runs {ConsensusChange.Describe(_startConsensus)} " +
            "(what was recorded when it started), and it does not decide beside monitors that would decide otherwise. " +
            "Restart the monitors while they are paused (each runs what the metadata records when it starts), then resume them; " +
            "or record its backend again (Set-PgHaConsensus, while paused).");

    private async Task ApplyMetadataAsync(IReadOnlyList<NodeRecord> nodes, ClusterStateRecord state)
    {
        // When the metadata was seen: a direct instruction that arrives while the rest is resolved (names, etcd's
        // pause key) is newer than what was read here.
        long seenAtMs = NowMs;
        int selfId = _target.NodeId ?? nodes.FirstOrDefault(n => n.Name == _target.NodeName)?.Id
            ?? throw new PgHaException(PgHaErrorIds.NodeNotFound, _target.NodeName,
                $"No node named '{_target.NodeName}' is registered. Register it (Register-PgHaNode) before starting its monitor.");
        // At the start, its own node's registered conninfo (what this monitor connects to and announces) must
        // parse: a malformed one ends Start-PgHaMonitor with PgHaConninfoInvalid naming the node and what to do,
        // rather than a monitor that never reaches its own server. Later it never ends a running monitor (a
        // primary's monitor that stopped would no longer fence it).
        if (_members is null && nodes.FirstOrDefault(n => n.Id == selfId) is { } own)
        {
            RegisteredConninfo.Parse(own);
        }
        MonitorMembers members = await MonitorMembers.ResolveAsync(nodes, selfId, Ct).ConfigureAwait(false);
        _knownMembers.Save(nodes, _log);
        ConsensusPause? consensusPause = _consensus is null ? null : await _consensus.PausedAsync(Ct).ConfigureAwait(false);
        bool pausedChanged;
        lock (_gate)
        {
            _members = members;
            _clusterState = state;
            // The metadata's flag carries no mark: paused_at is set by each copy's own clock (the witness's too), so
            // it would tell copies apart, not instructions. A pause written again between two reads comes with a
            // direct message anyway (Suspend-PgHaMonitor sends one to every monitor).
            _pause.Observe(PauseSource.Metadata, state.Paused, null, seenAtMs);
            if (consensusPause is { } held)
            {
                _pause.Observe(PauseSource.Consensus, held.Paused, held.Mark, NowMs);
            }
            pausedChanged = UpdatePaused();
            if (_watch is null)
            {
                // The primary of the newest term known: the metadata's, or a later one this monitor voted for and saw announced.
                int? primary = state.TermPrimaryId ?? NodeRecordLookup.ActivePrimary(nodes)?.Id;
                _watch = new LeaderWatch(state.Term, primary, NowMs);
            }
        }
        if (state.TermPrimaryId is { } termPrimary && state.Term > _watch.Term)
        {
            AdoptLeader(state.Term, termPrimary, "the metadata says so");
        }
        if (pausedChanged)
        {
            _log.Info((_paused, _pause.DecidedBy) switch
            {
                (true, PauseSource.Consensus) => "Monitoring is paused (etcd's pause key under the cluster's prefix): no failover, no fencing.",
                (true, _) => $"Monitoring is paused (since {state.PausedAt:u}{(state.PausedBy is null ? string.Empty : $" by {state.PausedBy}")}): no failover, no fencing.",
                (false, PauseSource.Consensus) => "Monitoring is resumed (etcd's pause key is gone).",
                (false, _) => "Monitoring is resumed.",
            });
        }
    }

    /// <summary>
    /// Decides the pause from the instructions taken (<see cref="PauseInstructions"/>: the newest wins) and
    /// returns whether it changed. Call under the gate.
    /// </summary>
    private bool UpdatePaused()
    {
        bool changed = _pause.Decide();
        _paused = _pause.Paused;
        if (changed && !_paused)
        {
            _watch?.Restart(NowMs);
            // The members restart their detection windows now too, so none can vote before a window has passed:
            // the primary gets one fence timeout from here to be vouched for (or, made primary by a switchover
            // while paused, to announce its term) before its lease timer fences it.
            // With etcd nothing: its renewals went on while paused, and a standby may take a key once it is gone.
            _lease.ExtendTo(NowMs + (long)(_consensus?.ResumeGrace ?? _settings.FenceTimeout).TotalMilliseconds);
        }
        // The lease guard fences no paused primary; resumed, it obeys the lease as extended just now.
        _leaseRecord?.SetPaused(_paused, _lease.ExpiresAtMs);
        return changed;
    }

    private void QueueEvent(NodeRecord node, string eventName, bool successful, string details)
    {
        lock (_gate)
        {
            _pendingEvents.Add((node, eventName, successful, details));
        }
        _log.Info($"Event {eventName} ({(successful ? "ok" : "failed")}): {details}");
    }

    /// <summary>Events wait in memory until a writable primary is there to record them (a standby cannot).</summary>
    private async Task FlushPendingEventsAsync()
    {
        List<(NodeRecord, string, bool, string)> pending;
        lock (_gate)
        {
            if (_pendingEvents.Count == 0)
            {
                return;
            }
            pending = [.. _pendingEvents];
        }
        NodeRecord? leader = _members.ById(_watch.LeaderId);
        ConnectionInfo? target = leader is null ? null
            : leader.Id == Self.Id ? (_serverRunning && _local is { InRecovery: false } ? LocalConninfo : null)
            : NodeRecordLookup.ConninfoOf(leader);
        if (target is null)
        {
            return;
        }
        try
        {
            await RoleChanges.RecordAsync(_context, target, [], pending).ConfigureAwait(false);
            lock (_gate)
            {
                _pendingEvents.RemoveRange(0, pending.Count);
            }
        }
        catch (PgHaException)
        {
            // Not reachable or not writable yet: next round.
        }
        catch (Npgsql.NpgsqlException)
        {
            // In recovery (read-only), or the statement deadline passed (a primary cut off, the metadata lock held
            // by an operator's command whose commit waits for a synchronous standby): next round. The round goes
            // on to decide: a failed flush must never stop an election or a fence.
        }
    }
}
