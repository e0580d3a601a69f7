using System.Diagnostics;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Host;
using PgHa.Operations.Roles;
using PgHa.Operations.Service;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>
/// One node's monitor (repmgrd's job): runs until cancelled, checking every interval. What it does
/// depends on what its node is:
/// <list type="bullet">
/// <item>primary: asks the other members whether they see it; without a majority for the fence timeout it
/// fences itself (standby.signal, fast stop); writes monitoring history; when its server dies it fences the
/// data directory after a short grace and tells the others, which lets them fail over at once;</item>
/// <item>standby: checks the primary; when it is gone for the detection window (or confirmed down by its own
/// monitor) the best standby asks every member for its vote in a new term and promotes on a majority; the
/// others follow the new primary;</item>
/// <item>witness: checks the primary and votes like a standby, never becomes primary, and keeps its copy of
/// the metadata in step;</item>
/// <item>a former primary that another node replaced is fenced, then rejoined as a standby (or kept fenced).</item>
/// </list>
/// Monitors talk over <see cref="PeerServer"/> / <see cref="PeerClient"/>; the only state a monitor keeps
/// of its own is its last vote (<see cref="VoteBook"/>).
/// </summary>
internal sealed partial class NodeMonitor
{
    private static readonly TimeSpan MetadataRefreshInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RoleChangeRetryDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FirstMetadataPatience = TimeSpan.FromSeconds(30);

    private readonly OperationContext _context;
    private readonly MonitorSettings _settings;
    private readonly MonitorTarget _target;
    private readonly MonitorLog _log;
    private VoteBook _votes = null!;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    private MonitorMembers _members = null!;
    private PeerClient _peers = null!;
    private PeerSigner _signer = null!;
    private readonly TermGate _terms = new();
    private PeerRefusalLog _refusals = null!;
    private LeaderWatch _watch = null!;
    private ClusterStateRecord? _clusterState;
    private bool _paused;
    private bool _metadataPaused;
    private long _metadataPauseChangedMs = long.MinValue / 2;
    private bool? _directPause;
    private long _directPauseAtMs;
    private MonitorRole _role = MonitorRole.Unknown;
    private bool _serverRunning;
    private bool _fenced;
    private bool _signalPlacedByMe;
    private volatile bool _leaderWritable;
    private Npgsql.NpgsqlConnection? _leaderConnection; // the watch loop's own; only it touches it
    private Npgsql.NpgsqlConnection? _localConnection; // the main loop's own, for ProbeLocalAsync
    private int _leaderConnectionNodeId;
    private NodeProbeResult? _local;
    private long? _localDownSinceMs;
    private PrimaryLease _lease = new(0); // under the gate
    private LeaseRecord? _leaseRecord;
    private bool _mayTakeWrites; // under the gate: this node's server was last seen as a writable primary and has not been fenced since
    private IConsensus _consensus = null!;
    private LeaseRenewal? _lastRenewal; // under the gate
    private readonly SemaphoreSlim _fencing = new(1, 1);
    private readonly HookQueue? _hooks;
    private readonly KnownMembersFile _knownMembers;
    private long? _announcePendingTerm;
    private long _lastMetadataRefreshMs = long.MinValue / 2;
    private long _lastHistoryMs = long.MinValue / 2;
    private long _lastHistoryPurgeMs = long.MinValue / 2;
    private long _lastWitnessSyncMs = long.MinValue / 2;
    private long _nextRoleChangeMs;
    private DateTimeOffset? _lastCheckAt;
    private string? _lastWaitingNote;
    private readonly List<(NodeRecord Node, string Event, bool Successful, string Details)> _pendingEvents = [];

    public NodeMonitor(OperationContext context, MonitorSettings settings, MonitorTarget target, MonitorLog log)
    {
        settings.Validate();
        // The event hook (failover_promote moves a VIP) runs off the loop, one event after another: see HookQueue.
        if (context.EventHook is { IsEmpty: false } hook)
        {
            _hooks = new HookQueue(hook, new OperationContext(log.AsReporter(), context.Credential, context.ConnectTimeoutSeconds, context.CancellationToken) { Ssh = context.Ssh });
        }
        // The engine's own steps (probes, pg_ctl, promote, follow, rejoin) go to the monitor's log as DEBUG lines.
        _context = new OperationContext(log.AsReporter(), context.Credential, context.ConnectTimeoutSeconds, context.CancellationToken)
        {
            Ssh = context.Ssh,
            EventHook = _hooks?.Enqueuing,
            LocalCommit = true,
        };
        _settings = settings;
        _target = target;
        _log = log;
        _knownMembers = KnownMembersFile.For(target);
    }

    private CancellationToken Ct => _context.CancellationToken;

    private static long NowMs => Environment.TickCount64;

    private NodeRecord Self => _members.Self;

    /// <summary>How this monitor reaches its own server: as told, or the node's registered conninfo.</summary>
    private ConnectionInfo LocalConninfo => _target.LocalConninfo ?? NodeRecordLookup.ConninfoOf(Self);

    private NodeHost SelfHost => NodeHost.Of(Self);

    private bool Automatic => _settings.Failover == PgHaFailoverMode.Automatic;

    /// <summary>Runs until the context is cancelled; returns normally then.</summary>
    public async Task RunAsync()
    {
        await FirstMetadataAsync().ConfigureAwait(false);
        if (Self.Role != PgHaRole.Witness && Self.DataDirectory is null)
        {
            throw new PgHaException("PgHaDataDirectoryUnknown", System.Management.Automation.ErrorCategory.InvalidArgument, Self.Name,
                $"The record of {Self.Name} has no data directory, so its monitor could never fence or rejoin it. Register it again with -DataDirectory (and -Force).");
        }
        string stateFile = _target.StateFile ?? DefaultStateFile(Self);
        _votes = VoteBook.Open(stateFile);
        _votes.EnsureWritable();
        _leaseRecord = new LeaseRecord(stateFile + ".lease");
        long? keptLease = _leaseRecord.Load();
        lock (_gate)
        {
            // A monitor restarted in this boot keeps the lease it had (the standbys have been counting since it was
            // last vouched for). A first start gives the other members' monitors one detection window to answer
            // before it fences for want of a majority: no standby can vote it out sooner than that either.
            _lease = new PrimaryLease(keptLease ?? NowMs + (long)_settings.DetectionWindow.TotalMilliseconds);
            _mayTakeWrites = Self is { Role: PgHaRole.Primary, Active: true };
            // Saved at once, the start's window included: a monitor that crashes seconds after its start (inside
            // a partition that began meanwhile) must not get a second window when it is started again.
            _leaseRecord.Save(_lease.ExpiresAtMs);
        }
        if (keptLease is { } kept && _mayTakeWrites)
        {
            _log.Info($"{Self.Name} keeps the lease its monitor had before the restart: it {(kept > NowMs ? $"ends in {(kept - NowMs) / 1000.0:0.0} s" : "has ended")} unless a majority vouches for it.");
        }
        IPAddress listenAddress = _members.SelfAddress ?? IPAddress.Loopback;
        _signer = new PeerSigner(ClusterSecret.Load(_target.SecretFile ?? ClusterSecretLocation.DefaultPath), Self.Id);
        _refusals = new PeerRefusalLog(_log.Warning, TimeSpan.FromSeconds(10));
        _peers = new PeerClient(_members.SelfAddress, _settings.PeerTimeout, _signer, _refusals.Note);
        _consensus = new PeerQuorumConsensus(() => _members, _peers, _settings, AdmitStatus);
        await using var server = new PeerServer(new IPEndPoint(listenAddress, Self.EffectiveMonitorPort), _signer, Status, HandlePeerRequestAsync, _refusals.Note);
        try
        {
            server.Start();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new PgHaException("PgHaMonitorPortInUse", System.Management.Automation.ErrorCategory.ResourceUnavailable, Self.Name,
                $"The monitor of {Self.Name} cannot listen on {listenAddress}:{Self.EffectiveMonitorPort} ({ex.Message}). Is another monitor for this node running? " +
                "Otherwise register the node with another -MonitorPort.", ex);
        }
        if (keptLease is { } ended && ended <= NowMs && _mayTakeWrites && IsLeader)
        {
            // The lease ran out while the monitor was down: one round of asking decides at once whether the members
            // still vouch for it (a monitor that only crashed), before the lease timer fences it (a partition).
            await RenewLeaseAsync().ConfigureAwait(false);
        }
        if (_settings.ManageServer && Self.Role != PgHaRole.Witness)
        {
            await StartStoppedServerAsync().ConfigureAwait(false);
        }
        _log.Info($"Monitor of {Self.Name} (node {Self.Id}) started: listening on {server.Endpoint}, failover {_settings.Failover}, " +
            $"detection {_settings.DetectionWindow.TotalSeconds:0.#} s, fence timeout {_settings.FenceTimeout.TotalSeconds:0.#} s, term {_watch.Term}, " +
            $"primary {NameOf(_watch.LeaderId)}; consensus: {_consensus.Name}; peer messages signed with the cluster secret from {_signer.SecretPath}.");
        await using Health.HealthServer? health = StartHealthServer(listenAddress);
        // The primary is watched in a loop of its own: a long action of the main loop (a follow, a rejoin)
        // must never stop this member from vouching for the primary, or the primary would fence itself. The
        // lease is kept and checked by two more: neither a slow probe, a failed metadata read nor a hook may
        // delay a fence.
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task watching = WatchLoopAsync(stopWatching.Token);
        Task renewing = LeaseRenewalLoopAsync(stopWatching.Token);
        Task timing = LeaseTimerAsync(stopWatching.Token);
        try
        {
            await MainLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            // Also when the main loop ends by an error: no watch loop or kept-open session may outlive the monitor
            // (in an interactive session the process goes on).
            await stopWatching.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(watching, renewing, timing).ConfigureAwait(false);
            await DropLeaderConnectionAsync().ConfigureAwait(false);
            await DropLocalConnectionAsync().ConfigureAwait(false);
            lock (_gate)
            {
                if (!_lease.HasExpired(NowMs))
                {
                    _leaseRecord.Delete(); // a valid lease at a normal stop: the next start is a start like the first
                }
            }
            if (_hooks is not null)
            {
                await _hooks.DisposeAsync().ConfigureAwait(false);
            }
        }
        _log.Info($"Monitor of {Self.Name} stopped.");
    }

    private async Task MainLoopAsync()
    {
        while (!Ct.IsCancellationRequested)
        {
            TimeSpan pause;
            var round = Stopwatch.StartNew();
            try
            {
                pause = await TickAsync().ConfigureAwait(false);
                PublishSnapshot(round.Elapsed);
            }
            catch (OperationCanceledException) when (Ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException or IOException or TimeoutException)
            {
                _log.Warning($"Check failed: {ex.Message}");
                pause = _settings.ReconnectInterval;
                PublishSnapshot(round.Elapsed);
            }
            try
            {
                await _wake.WaitAsync(pause, Ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// The first read of the metadata, tried again for up to half a minute: a monitor started with its
    /// node (at boot, by systemd) may find the servers still starting. Anything but unreachable fails at once.
    /// </summary>
    private async Task FirstMetadataAsync()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await RefreshMetadataAsync(force: true).ConfigureAwait(false);
                return;
            }
            catch (PgHaException ex) when (ex.ErrorId is "PgHaNodeUnreachable" or "PgHaMetadataUnreachable" && clock.Elapsed < FirstMetadataPatience)
            {
                _log.Warning($"The metadata cannot be read yet ({ex.Message}); trying again.");
                await Task.Delay(_settings.ReconnectInterval, Ct).ConfigureAwait(false);
            }
        }
    }

    private async Task WatchLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!(IsLeader && _serverRunning && _local is { InRecovery: false }))
                {
                    await WatchLeaderAsync().ConfigureAwait(false);
                }
                await Task.Delay(WatchInterval(), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException or IOException or TimeoutException)
            {
                _log.Warning($"Checking the primary failed: {ex.Message}");
            }
        }
    }

    /// <summary>
    /// One round: observe (the metadata, the local server, and what else the round's question needs), take one
    /// <see cref="HaSnapshot"/>, let <see cref="HaRules"/> decide one action, perform it. Returns how long to
    /// wait before the next round: a primary (running or stopped) is looked at every primary check interval.
    /// </summary>
    private async Task<TimeSpan> TickAsync()
    {
        // A primary reads its own metadata every second (a local query): a node that rejoined and now vouches
        // for it must count at once. The others every few seconds.
        bool primary = _serverRunning && _local is { InRecovery: false } && Self.Role != PgHaRole.Witness;
        await RefreshMetadataAsync(force: false, maxAge: primary ? TimeSpan.FromSeconds(1) : null).ConfigureAwait(false);
        await ProbeLocalAsync().ConfigureAwait(false);
        _lastCheckAt = DateTimeOffset.UtcNow;
        await FlushPendingEventsAsync().ConfigureAwait(false);

        HaSnapshot snapshot = TakeSnapshot();
        if (snapshot.RunsWritable && !snapshot.IsLeader && snapshot.LeaderId is not null)
        {
            // Before a writable node is fenced as a former primary: a switchover or a manual promotion may have
            // made it the primary of a new term, which its own metadata says.
            await RefreshMetadataAsync(force: true).ConfigureAwait(false);
            snapshot = TakeSnapshot();
        }
        else if (HaRules.WantsMembersTerms(snapshot))
        {
            await _consensus.MembersAsync(null, Ct).ConfigureAwait(false); // a stopped primary learns of a newer term from the members
            snapshot = TakeSnapshot();
        }
        await PerformAsync(HaRules.Decide(snapshot)).ConfigureAwait(false);
        return snapshot.RunsWritable || HaRules.IsDownPrimary(snapshot) ? _settings.PrimaryCheckInterval : WatchInterval();
    }

    /// <summary>Everything the round decides on, read at once under the gate.</summary>
    private HaSnapshot TakeSnapshot()
    {
        lock (_gate)
        {
            long now = NowMs;
            return new HaSnapshot
            {
                NowMs = now,
                SelfName = Self.Name,
                LeaderName = NameOf(_watch.LeaderId),
                Registered = Self.Role,
                Priority = Self.Priority,
                Automatic = Automatic,
                StalePrimary = _settings.StalePrimary,
                ServerRunning = _serverRunning,
                InRecovery = _local?.InRecovery,
                DownSinceMs = _localDownSinceMs,
                Fenced = _fenced,
                SignalPlacedByMe = _signalPlacedByMe,
                Paused = _paused,
                Term = _watch.Term,
                LeaderId = _watch.LeaderId,
                IsLeader = IsLeader,
                LeaderFailed = _watch.HasFailed(now, _settings),
                LeaderVouched = _watch.Vouches(now, _settings),
                LeaderWritable = _leaderWritable,
                LeaderChangedRecently = now - _leaderChangedAtMs < HaRules.FollowAfterLeaderChange.TotalMilliseconds,
                RoleChangeDue = now >= _nextRoleChangeMs,
                ConfirmedDownGrace = _settings.ConfirmedDownGrace,
            };
        }
    }

    private async Task PerformAsync(HaAction action)
    {
        switch (action)
        {
            case HaAction.Wait { Note: { } note }:
                NoteOnce(note);
                break;
            case HaAction.SyncWitness:
                await SyncWitnessAsync().ConfigureAwait(false);
                break;
            case HaAction.FenceStale stale:
                await FenceStaleAsync(stale.Why).ConfigureAwait(false);
                break;
            case HaAction.Lead lead:
                await LeadAsync(lead.RemoveOwnSignal).ConfigureAwait(false);
                break;
            case HaAction.FenceStopped:
                await FenceStoppedAsync().ConfigureAwait(false);
                break;
            case HaAction.Rejoin:
                await RejoinAsync().ConfigureAwait(false);
                break;
            case HaAction.Elect:
                await TryElectionAsync().ConfigureAwait(false);
                break;
            case HaAction.Follow follow:
                if (!follow.CheckLeaderFirst || (_members.ById(_watch.LeaderId) is { } leader && leader.Id != Self.Id && await LeaderAnswersAsync(leader).ConfigureAwait(false)))
                {
                    await FollowLeaderIfNeededAsync().ConfigureAwait(false);
                }
                break;
        }
    }

    private bool IsLeader => _watch.LeaderId == Self.Id;

    /// <summary>Beside the data directory (like the server log), so that neither a clone nor pg_rewind copies it.</summary>
    public static string DefaultStateFile(NodeRecord node) =>
        node.DataDirectory is { } dir
            ? dir.TrimEnd('/') + ".pgha-monitor.json"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pgha", $"monitor-{node.Name}.json");

    /// <summary>Checks come every interval while the primary answers, and every reconnect interval while it does not.</summary>
    private TimeSpan WatchInterval() =>
        _watch.Vouches(NowMs, _settings) ? _settings.MonitorInterval : Min(_settings.ReconnectInterval, TimeSpan.FromMilliseconds(250));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // ---------------------------------------------------------------- local node

    private async Task ProbeLocalAsync()
    {
        try
        {
            NodeProbeResult probe = await ProbeLocalServerAsync().ConfigureAwait(false);
            lock (_gate)
            {
                _local = probe;
                _serverRunning = true;
                _localDownSinceMs = null;
                if (probe.InRecovery)
                {
                    _mayTakeWrites = false;
                }
                _role = Self.Role == PgHaRole.Witness ? MonitorRole.Witness : probe.InRecovery ? MonitorRole.Standby : MonitorRole.Primary;
            }
            return;
        }
        catch (PgHaException ex)
        {
            // Not answering: ask pg_ctl whether the server runs at all (it may be starting, stopping, or gone).
            if (_local is not null || _serverRunning)
            {
                _log.Info($"{Self.Name}'s server does not answer ({ex.Message}).");
            }
        }
        NodeRunState state = Self.DataDirectory is null ? new NodeRunState(false, null, null) : await NodeService.GetRunningAsync(_context, SelfHost).ConfigureAwait(false);
        bool wasRunning;
        lock (_gate)
        {
            wasRunning = _serverRunning;
            // Running but not answering (starting up, shutting down, out of connections): nothing is known of
            // its role this round, so no action is taken on it.
            _local = null;
            _serverRunning = state.IsRunning;
            _role = state.IsRunning ? MonitorRole.Unknown : MonitorRole.Down;
            if (!state.IsRunning)
            {
                _localDownSinceMs ??= NowMs;
                _mayTakeWrites = false;
            }
            // Running but not answering the probe (pg_hba refuses it, out of connections, slow): it may still take
            // writes on its socket, so _mayTakeWrites stays as it was and the lease timer still fences it.
        }
        if (wasRunning && !state.IsRunning)
        {
            _log.Info($"{Self.Name}'s server is not running.");
        }
    }

    /// <summary>
    /// Probes the local server over a session kept open between rounds (the primary's monitor checks every
    /// 0.25 s: a new backend each time would be a steady load of its own, and slow on a busy host). A broken
    /// session is opened once more at once, so that a restarted server is not taken for a silent one.
    /// </summary>
    private async Task<NodeProbeResult> ProbeLocalServerAsync()
    {
        while (true)
        {
            bool fresh = _localConnection is null;
            try
            {
                _localConnection ??= await NodeConnector.OpenAsync(_context, LocalConninfo, NodeConnector.MetadataDatabaseOf(LocalConninfo)).ConfigureAwait(false);
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                deadline.CancelAfter(TimeSpan.FromSeconds(_context.ConnectTimeoutSeconds));
                return await NodeProbe.ProbeAsync(_localConnection, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or IOException or TimeoutException or OperationCanceledException && !Ct.IsCancellationRequested)
            {
                await DropLocalConnectionAsync().ConfigureAwait(false);
                // A slow answer is not tried again: the primary's round, which its fencing depends on, must stay short.
                if (fresh || ex is TimeoutException or OperationCanceledException)
                {
                    throw new PgHaException("PgHaNodeUnreachable", System.Management.Automation.ErrorCategory.ConnectionError, Self.Name,
                        $"{Self.Name}'s server did not answer the probe: {ex.Message}", ex);
                }
            }
        }
    }

    private async Task DropLocalConnectionAsync()
    {
        if (_localConnection is not null)
        {
            await _localConnection.DisposeAsync().ConfigureAwait(false);
            _localConnection = null;
        }
    }

    // ---------------------------------------------------------------- the leader

    /// <summary>Checks the node taken for the primary, as a standby or the witness does.</summary>
    private async Task WatchLeaderAsync()
    {
        // The outcome is applied to the watch it was made for: a new leader taken meanwhile (an announcement,
        // a vote) must not inherit a check of the old one.
        LeaderWatch watch = _watch;
        NodeRecord? leader = _members.ById(watch.LeaderId);
        if (leader is null || leader.Id == Self.Id)
        {
            return;
        }
        long now = NowMs;
        if (await LeaderTakesWritesAsync(leader).ConfigureAwait(false))
        {
            lock (_gate)
            {
                if (ReferenceEquals(_watch, watch))
                {
                    _watch.Seen(now);
                    _leaderWritable = true;
                }
            }
            return;
        }
        PeerStatus? status = await _consensus.MemberAsync(leader.Id, Ct).ConfigureAwait(false);
        bool confirmedDown = status is not null && status.Term <= watch.Term
            && ((!status.ServerRunning && status.Fenced) || (status.Role is MonitorRole.Standby && watch.LeaderId == status.NodeId && status.Term == watch.Term && status.LeaderId != status.NodeId));
        bool promoting = status is not null && status.Role == MonitorRole.Candidate && status.Term == watch.Term && status.LeaderId == status.NodeId;
        lock (_gate)
        {
            if (!ReferenceEquals(_watch, watch))
            {
                return;
            }
            _leaderWritable = false;
            if (promoting)
            {
                _watch.Seen(now);
            }
            else
            {
                _watch.Missed(confirmedDown);
            }
        }
    }

    /// <summary>The leader's server answers as a writable primary.</summary>
    private async Task<bool> LeaderAnswersAsync(NodeRecord leader)
    {
        try
        {
            NodeProbeResult probe = await NodeProbe.ProbeAsync(_context, NodeRecordLookup.ConninfoOf(leader)).ConfigureAwait(false);
            return !probe.InRecovery;
        }
        catch (PgHaException)
        {
            return false;
        }
    }

    /// <summary>
    /// The watch loop's check of the leader, over a connection kept open between checks: one round trip
    /// instead of a new session every second, so that a busy machine does not make a live primary look slow
    /// (which would cost it this member's vouching). Any failure drops the connection; the next check opens one.
    /// </summary>
    private async Task<bool> LeaderTakesWritesAsync(NodeRecord leader)
    {
        try
        {
            if (_leaderConnection is null || _leaderConnectionNodeId != leader.Id)
            {
                await DropLeaderConnectionAsync().ConfigureAwait(false);
                ConnectionInfo conninfo = NodeRecordLookup.ConninfoOf(leader);
                _leaderConnection = await NodeConnector.OpenAsync(_context, conninfo, NodeConnector.MetadataDatabaseOf(conninfo)).ConfigureAwait(false);
                _leaderConnectionNodeId = leader.Id;
            }
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(_context.ConnectTimeoutSeconds));
            await using var cmd = new Npgsql.NpgsqlCommand("SELECT pg_is_in_recovery()", _leaderConnection);
            bool inRecovery = (bool)(await cmd.ExecuteScalarAsync(deadline.Token).ConfigureAwait(false))!;
            return !inRecovery;
        }
        catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException or OperationCanceledException or IOException or TimeoutException
            && !Ct.IsCancellationRequested)
        {
            await DropLeaderConnectionAsync().ConfigureAwait(false);
            return false;
        }
    }

    private async Task DropLeaderConnectionAsync()
    {
        if (_leaderConnection is not null)
        {
            await _leaderConnection.DisposeAsync().ConfigureAwait(false);
            _leaderConnection = null;
        }
    }

    /// <summary>
    /// Takes a newer term from the node that is primary in it, and from nobody else: a candidate's term, or
    /// a term a member voted in, is no primary yet, and taking it would make this member refuse the very
    /// election that decides it.
    /// </summary>
    private void AdoptNewerTerm(PeerStatus status)
    {
        if (status.Role == MonitorRole.Primary && status.LeaderId == status.NodeId && status.Term > _watch.Term)
        {
            AdoptLeader(status.Term, status.NodeId, $"{status.NodeName} is the primary of term {status.Term}");
        }
    }

    private void AdoptLeader(long term, int leaderId, string why)
    {
        lock (_gate)
        {
            if (term <= _watch.Term && !(term == _watch.Term && _watch.LeaderId is null))
            {
                return;
            }
            _watch = new LeaderWatch(term, leaderId, NowMs);
            if (leaderId == Self.Id)
            {
                // This node leads a term it did not win in an election here (a switchover or a manual promotion
                // recorded it). It tells the members at its next check, so that they take the term and vouch for it
                // without waiting for replication; see LeadAsync.
                _announcePendingTerm = term;
            }
        }
        _log.Info($"Term {term}: the primary is {NameOf(leaderId)} ({why}).");
        _lastMetadataRefreshMs = long.MinValue / 2;
    }

    // ---------------------------------------------------------------- metadata

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
                    ?? throw new PgHaException("PgHaMetadataTooOld", System.Management.Automation.ErrorCategory.InvalidOperation, source.ToDisplayString(),
                        "The PgHa metadata has no cluster state (schema older than version 3). Upgrade it: run Register-PgHaNode -Force for the primary with this PgHa version.");
                await ReadEventCountsAsync(connection).ConfigureAwait(false);
                await ApplyMetadataAsync(nodes, state).ConfigureAwait(false);
                _lastMetadataRefreshMs = NowMs;
                return;
            }
            catch (PgHaException ex) when (ex.ErrorId is "PgHaNodeUnreachable" or "PgHaDatabaseMissing" && !force)
            {
                last = ex;
            }
            catch (PgHaException ex) when (ex.ErrorId is "PgHaNodeUnreachable")
            {
                last = ex;
            }
        }
        if (force || _members is null)
        {
            throw last ?? new PgHaException("PgHaMetadataUnreachable", System.Management.Automation.ErrorCategory.ConnectionError, _target.NodeName,
                "No node with PgHa metadata answers.");
        }
    }

    private async Task ApplyMetadataAsync(IReadOnlyList<NodeRecord> nodes, ClusterStateRecord state)
    {
        int selfId = _target.NodeId ?? nodes.FirstOrDefault(n => n.Name == _target.NodeName)?.Id
            ?? throw new PgHaException("PgHaNodeNotFound", System.Management.Automation.ErrorCategory.ObjectNotFound, _target.NodeName,
                $"No node named '{_target.NodeName}' is registered. Register it (Register-PgHaNode) before starting its monitor.");
        MonitorMembers members = await MonitorMembers.ResolveAsync(nodes, selfId, Ct).ConfigureAwait(false);
        _knownMembers.Save(nodes, _log);
        bool pausedChanged;
        lock (_gate)
        {
            _members = members;
            _clusterState = state;
            if (_metadataPaused != state.Paused)
            {
                _metadataPaused = state.Paused;
                _metadataPauseChangedMs = NowMs;
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
            _log.Info(state.Paused
                ? $"Monitoring is paused (since {state.PausedAt:u}{(state.PausedBy is null ? string.Empty : $" by {state.PausedBy}")}): no failover, no fencing."
                : "Monitoring is resumed.");
        }
    }

    /// <summary>
    /// Paused is what the newest instruction said: the metadata's flag (written on the primary by
    /// Suspend/Resume-PgHaMonitor, read from this node's copy), or an instruction sent to this monitor
    /// directly — the way Resume-PgHaMonitor still reaches the monitors when the primary it would write to is
    /// down. Returns whether the state changed. Call under the gate.
    /// </summary>
    private bool UpdatePaused()
    {
        bool paused = _directPause is { } direct && _directPauseAtMs >= _metadataPauseChangedMs ? direct : _metadataPaused;
        bool changed = paused != _paused;
        _paused = paused;
        if (changed && !paused)
        {
            _watch?.Restart(NowMs);
            // The members restart their detection windows now too, so none can vote before a window has passed:
            // the primary gets one fence timeout from here to be vouched for (or, made primary by a switchover
            // while paused, to announce its term) before its lease timer fences it.
            _lease.ExtendTo(NowMs + (long)_settings.FenceTimeout.TotalMilliseconds);
        }
        return changed;
    }

    private string NameOf(int? nodeId) =>
        nodeId is null ? "(none)" : _members?.ById(nodeId)?.Name ?? $"node {nodeId}";

    /// <summary>
    /// Every status the consensus brings in passes here first: a term too far ahead is not taken
    /// (<see cref="TermGate"/>), and a newer term's primary is adopted. Returns why it is not taken, or null.
    /// </summary>
    private string? AdmitStatus(PeerStatus status)
    {
        if (_terms.Offer(status.Term, KnownTerm) is { } refusal)
        {
            _refusals.Note($"The status of {NameOf(status.NodeId)} is not taken: {refusal}.");
            return refusal;
        }
        AdoptNewerTerm(status);
        return null;
    }

    /// <summary>The newest term this member knows: its leader's or its last vote's (the base of <see cref="TermGate"/>).</summary>
    private long KnownTerm => Math.Max(_watch?.Term ?? 0, _votes?.Term ?? 0);

    // ---------------------------------------------------------------- events

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
        catch (Npgsql.PostgresException)
        {
            // In recovery (read-only): next round.
        }
    }

    // ---------------------------------------------------------------- status

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
                Failover = _settings.Failover,
                ProcessId = Environment.ProcessId,
                StartedAt = _startedAt,
                LastCheckAt = _lastCheckAt,
                Version = typeof(NodeMonitor).Assembly.GetName().Version?.ToString(3) ?? "",
            };
        }
    }

    /// <summary>How far this node's WAL goes: received (a standby), or written (a primary).</summary>
    private PgHaLsn? OwnLsn() =>
        _local is null ? null
        : _local.InRecovery ? Max(_local.ReceiveLsn, _local.ReplayLsn)
        : _local.CurrentLsn;

    private static PgHaLsn? Max(PgHaLsn? a, PgHaLsn? b) =>
        a is null ? b : b is null ? a : (a.Value > b.Value ? a : b);

    private static TimeSpan Since(long startMs) => TimeSpan.FromMilliseconds(NowMs - startMs);

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds:0.0} s";

    private static string Elapsed(Stopwatch clock) => $"{clock.Elapsed.TotalSeconds:0.00} s";
}
