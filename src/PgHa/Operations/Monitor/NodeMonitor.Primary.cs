using System.Diagnostics;
using System.Globalization;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Clone;
using PgHa.Operations.Roles;
using PgHa.Sql;
using PgHa.Transport;

namespace PgHa.Operations.Monitor;

/// <summary>The primary's actions: lead (announce, history, synchronous replication), fence, and bring a former primary back.</summary>
internal sealed partial class NodeMonitor
{
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
        // What it may do is known now: /primary should not wait for the history and synchronous-replication
        // checks below (each opens a session), which the end of the round would publish anyway.
        PublishSnapshot(_roundClock.Elapsed);
        await WriteMonitoringHistoryAsync().ConfigureAwait(false);
        await GuardSynchronousReplicationAsync().ConfigureAwait(false);
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
            _checkFailures.Note($"Checking synchronous replication failed: {ex.Message}");
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

    private async Task FenceRunningAsync(string why, Action started)
    {
        var clock = Stopwatch.StartNew();
        await Fencing.FenceRunningAsync(_context, SelfHost, started).ConfigureAwait(false);
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
        await ResignAsync(_watch.Term).ConfigureAwait(false);
    }

    /// <summary>
    /// At the start: a previous monitor killed in the middle of a fence may have left this node's server stopped in
    /// place (<see cref="FrozenServer"/>); nothing else would ever let it run or end it.
    /// </summary>
    private void EndFenceLeftOver()
    {
        if (Self.DataDirectory is null || SelfHost.SshHost is not null || Fencing.LocalPostmaster(SelfHost) is not { } postmaster)
        {
            return;
        }
        bool signalInPlace = File.Exists(Fencing.SignalPath(SelfHost));
        if (FrozenServer.EndLeftOver(postmaster, signalInPlace) is { } done)
        {
            _log.Warning($"{Self.Name}: {done}.");
            if (signalInPlace)
            {
                QueueEvent(Self, "primary_fenced", true, $"{Self.Name}: {done}");
            }
        }
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
        // Fenced: it leads no more (etcd: the leader key goes now, and the standbys elect without waiting for its TTL).
        await ResignAsync(_watch.Term).ConfigureAwait(false);
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
        if (_serverRunning && _local is { InRecovery: true } && !await StopReadOnlyServerForRejoinAsync(leader).ConfigureAwait(false))
        {
            return;
        }
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
        catch (PgHaException ex) when (ex.ErrorId is PgHaErrorIds.RejoinNeedsClone or PgHaErrorIds.RejoinRewindImpossible)
        {
            try
            {
                await CloneAgainAsync(leader, ex).ConfigureAwait(false);
                lock (_gate)
                {
                    _fenced = false;
                    _signalPlacedByMe = false;
                }
                _lastMetadataRefreshMs = long.MinValue / 2;
                _log.Info($"{Self.Name} rejoined {leader.Name} by a new clone in {Elapsed(clock)}.");
            }
            catch (PgHaException cloneFailed)
            {
                _nextRoleChangeMs = NowMs + (long)RoleChangeRetryDelay.TotalMilliseconds;
                _log.Warning($"Cloning {Self.Name} again failed ({cloneFailed.ErrorId}): {cloneFailed.Message} It stays fenced; trying again in {RoleChangeRetryDelay.TotalSeconds:0} s.");
            }
        }
        catch (PgHaException ex)
        {
            _nextRoleChangeMs = NowMs + (long)RoleChangeRetryDelay.TotalMilliseconds;
            _log.Warning($"Rejoining {Self.Name} failed ({ex.ErrorId}): {ex.Message} It stays fenced; trying again in {RoleChangeRetryDelay.TotalSeconds:0} s.");
        }
    }

    /// <summary>
    /// A fenced former primary that runs read-only (started so at the monitor's start for an election another node
    /// won) is stopped before its rejoin, which works on a stopped data directory only. Read-only, it takes
    /// no writes, so a clean stop loses nothing. False when it could not be stopped (tried again after the retry delay).
    /// </summary>
    private async Task<bool> StopReadOnlyServerForRejoinAsync(NodeRecord leader)
    {
        _log.Info($"Stopping {Self.Name}'s read-only server to rejoin it: it is a fenced former primary, and {leader.Name} leads term {_watch.Term}.");
        try
        {
            await Service.NodeService.StopAsync(_context, SelfHost, PgHaStopMode.Fast, _settings.RoleChangeTimeout).ConfigureAwait(false);
        }
        catch (PgHaException ex)
        {
            _nextRoleChangeMs = NowMs + (long)RoleChangeRetryDelay.TotalMilliseconds;
            _log.Warning($"Stopping {Self.Name}'s read-only server for its rejoin failed ({ex.ErrorId}): {ex.Message} Trying again in {RoleChangeRetryDelay.TotalSeconds:0} s.");
            return false;
        }
        lock (_gate)
        {
            _serverRunning = false;
            _local = null;
            _role = MonitorRole.Down;
            _localDownSinceMs = NowMs;
        }
        return true;
    }

    /// <summary>
    /// A former primary whose WAL went where neither following nor pg_rewind can bring it back (a timeline
    /// number made twice, no wal_log_hints) is cloned again from the leader, as an operator would with
    /// New-PgHaStandby -Force, but its old directory is moved aside whole instead of deleted: the writes only
    /// it has stay there for the operator to look at. The clone's own checks apply (the guard, the free space
    /// for a copy beside the kept directory); a failed check leaves it fenced, and it tries again later.
    /// </summary>
    private async Task CloneAgainAsync(NodeRecord leader, PgHaException why)
    {
        string suffix = $".diverged-{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
        _log.Warning($"{Self.Name} cannot rejoin {leader.Name} as it is ({why.ErrorId}): {why.Message} Cloning it again from {leader.Name}; its old data directory is kept beside the new one ({suffix}).");
        var request = new CloneRequest(SelfHost, NodeRecordLookup.ConninfoOf(leader), leader.Name, NodeRecordLookup.ConninfoOf(Self), ReplicationUser: null,
            FastCheckpoint: true, Self.SlotName, Force: false, Start: true, Register: false, Self.Location, Self.Priority, Self.Id, _settings.RoleChangeTimeout,
            new Dictionary<string, string>(), MaxRate: null, KeepOldDirectorySuffix: suffix);
        ClonePlan plan = await StandbyClone.PlanAsync(_context, request).ConfigureAwait(false);
        if (plan.Checks.FirstOrDefault(c => c.Status == PgHaCheckStatus.Failed) is { } failed)
        {
            throw new PgHaException(failed.ErrorId ?? PgHaErrorIds.CloneFailed, Self.Name, $"{failed.Check}: {failed.Message}");
        }
        PgHaStandbyClone clone = await StandbyClone.ApplyAsync(_context, plan).ConfigureAwait(false);
        string keepAs = clone.KeptDirectory ?? "(nothing: the directory was empty)";
        NodeRecord rejoined = Self with { Role = PgHaRole.Standby, Active = true, UpstreamId = leader.Id };
        await RoleChanges.RecordAsync(_context, NodeRecordLookup.ConninfoOf(leader), [rejoined],
            [(rejoined, NodeRejoin.EventName, true, $"{Self.Name} rejoined as a standby of {leader.Name} by a new clone ({why.ErrorId}: {why.Message}). " +
                $"Its old data directory is kept as {keepAs}: delete it once nothing in it is needed.")]).ConfigureAwait(false);
    }
}
