using System.Diagnostics;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Host;
using PgHa.Operations.Roles;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>
/// One node's monitor (repmgrd's job): runs until cancelled. Its main loop's round observes, takes one
/// <see cref="HaSnapshot"/>, lets <see cref="HaRules"/> pick one <see cref="HaAction"/> and performs it
/// (this file). Beside it run the watch of the primary (NodeMonitor.Watch.cs), the lease renewal and the
/// lease timer that fences (NodeMonitor.Lease.cs). Agreement with the other members goes through
/// <see cref="IConsensus"/> (the built-in <see cref="PeerQuorumConsensus"/>); the answering side of the peer
/// protocol is NodeMonitor.Peers.cs. The actions live by role: NodeMonitor.Primary.cs (lead, fence, rejoin),
/// NodeMonitor.Election.cs, NodeMonitor.Standby.cs (follow, the witness's copy); the rest is what they
/// need: the local server (Local), the metadata and events (Metadata), boot (Boot), the HTTP snapshot
/// (Health). What the monitor keeps is in the fields below (the published snapshot and event counts in
/// NodeMonitor.Health.cs); shared ones are read and written under <c>_gate</c>.
/// </summary>
internal sealed partial class NodeMonitor
{
    private static readonly TimeSpan MetadataRefreshInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RoleChangeRetryDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FirstMetadataPatience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NotStreamingBeforeFollow = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DivergedRetryDelay = TimeSpan.FromSeconds(30);
    private const int PromotionAttempts = 3;
    private static readonly TimeSpan StandAsideAfterFailedPromotion = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A lease kept at a normal stop is forgotten when the monitor starts this long after: by then every member
    /// either voted the primary out (if it was cut off) or sees it without being asked, which only the detection
    /// window ends. A later start is a cold start (maintenance), with a first start's window.
    /// </summary>
    private static readonly TimeSpan ForgetLeaseAfterStop = TimeSpan.FromSeconds(12);

    // What it was given.
    private readonly OperationContext _context;
    private readonly MonitorSettings _settings;
    private readonly MonitorTarget _target;
    private readonly MonitorLog _log;
    private readonly HookQueue? _hooks;
    private readonly KnownMembersFile _knownMembers;
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    // How the loops coordinate.
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _fencing = new(1, 1);
    private readonly Stopwatch _roundClock = new(); // the main loop's own: how long the current round has run

    // The members and the consensus.
    private MonitorMembers _members = null!;
    private PeerClient _peers = null!;
    private PeerSigner _signer = null!;
    private ThrottledLog _refusals = null!;
    private readonly ThrottledLog _checkFailures;
    private IConsensus _consensus = null!;
    private readonly TermGate _terms = new();
    private VoteBook _votes = null!;
    private ClusterStateRecord? _clusterState;
    private string? _consensusRefusal; // under the gate: why this monitor neither stands nor votes (another consensus recorded)

    // The leader, as this member sees it.
    private LeaderWatch _watch = null!;
    private volatile bool _leaderWritable;
    private long _leaderChangedAtMs;
    private long? _announcePendingTerm;
    private WonTerm? _wonTerm; // this node won a term and its promotion has not finished (NodeMonitor.Election.cs)
    private long? _gaveUpTerm; // the term this node won but could not promote in: it stands aside until _standAsideUntilMs
    private long _standAsideUntilMs = long.MinValue / 2;
    private readonly LeaderSession _leaderSession; // the watch loop's own; only it touches it

    // Pause: the newest of the metadata's flag, a direct instruction and etcd's pause key (PauseInstructions).
    private readonly PauseInstructions _pause = new();
    private bool _paused; // _pause.Paused, readable outside the gate

    // The local server.
    private MonitorRole _role = MonitorRole.Unknown;
    private bool _serverRunning;
    private NodeProbeResult? _local;
    private long? _localDownSinceMs;
    private LeaderWatch? _failureSignalledFor; // the watch whose failure has woken the main loop (once per watch)
    private Npgsql.NpgsqlConnection? _localConnection; // the main loop's own, for ProbeLocalAsync
    private bool _fenced;
    private bool _signalPlacedByMe;

    // The primary's lease (NodeMonitor.Lease.cs), all under the gate.
    private PrimaryLease _lease = new(0);
    private LeaseRecord? _leaseRecord;
    private LeaseGuard? _leaseGuard; // enforces the record's lease while this monitor is not running
    private bool _stopping; // the monitor is ending: the lease record no longer follows the lease
    private bool _mayTakeWrites; // this node's server was last seen as a writable primary and has not been fenced since
    private bool _majorityEverRenewed; // a majority renewed this monitor's lease at least once (kept at a normal stop then)
    private LeaseRenewal? _lastRenewal;

    // Pacing of the slower duties, and what was already said.
    private long _nextRoleChangeMs;
    private long _lastMetadataRefreshMs = long.MinValue / 2;
    private long _lastHistoryMs = long.MinValue / 2;
    private long _lastHistoryPurgeMs = long.MinValue / 2;
    private long _lastWitnessSyncMs = long.MinValue / 2;
    private long _lastWitnessSyncTerm;
    private long _lastSynchronousCheckMs;
    private SynchronousGuard? _synchronousGuard;
    private long? _notStreamingSinceMs;
    private long _divergedReportedTerm = -1;
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
            StatementTimeoutSeconds = (int)StatementTimeout.TotalSeconds,
        };
        _leaderSession = new LeaderSession(_context);
        _settings = settings;
        _target = target;
        _log = log;
        _knownMembers = KnownMembersFile.For(target);
        _checkFailures = new ThrottledLog(log.Warning, TimeSpan.FromSeconds(10), leftOut: log.Debug);
    }

    /// <summary>
    /// The deadline of the monitor's statements that set none of their own (the CHECKPOINT before pg_rewind and the
    /// source's size before a re-clone do): one to a server cut off mid-statement ends after this, plus Npgsql's
    /// cancel request (a new connection under the 1 s connect timeout, then up to 2 s for an answer), about 8 s in
    /// all, not after Npgsql's default 30 s, during which this monitor's loop could neither stand nor follow. Its
    /// statements take milliseconds; the one that could grow (the history purge) runs in batches.
    /// </summary>
    internal static readonly TimeSpan StatementTimeout = TimeSpan.FromSeconds(5);

    private CancellationToken Ct => _context.CancellationToken;
    private static long NowMs => MonotonicClock.NowMs;
    private NodeRecord Self => _members.Self;

    /// <summary>How this monitor reaches its own server: as told, or the node's registered conninfo.</summary>
    private ConnectionInfo LocalConninfo => _target.LocalConninfo ?? NodeRecordLookup.ConninfoOf(Self);

    private NodeHost SelfHost => NodeHost.Of(Self);
    private bool Automatic => _settings.Failover == PgHaFailoverMode.Automatic;

    /// <summary>Runs until the context is cancelled; returns normally then.</summary>
    public async Task RunAsync()
    {
        // How long a start takes, step by step (DEBUG): after a reboot the node rejoins only once its monitor runs.
        var startClock = Stopwatch.StartNew();
        _log.Debug($"Starting the monitor of {_target.NodeName ?? "its node"}, {ProcessAge()} after its process started: reading the metadata.");
        await FirstMetadataAsync().ConfigureAwait(false);
        _log.Debug($"Read the metadata in {startClock.Elapsed.TotalSeconds:0.00} s.");
        await OpenEtcdAsync().ConfigureAwait(false);
        if (Self.Role != PgHaRole.Witness && Self.DataDirectory is null)
        {
            throw new PgHaException(PgHaErrorIds.DataDirectoryUnknown, Self.Name,
                $"The record of {Self.Name} has no data directory, so its monitor could never fence or rejoin it. Register it again with -DataDirectory (and -Force).");
        }
        string stateFile = _target.StateFile ?? DefaultStateFile(Self);
        _votes = VoteBook.Open(stateFile);
        _votes.EnsureWritable();
        _leaseRecord = new LeaseRecord(stateFile + ".lease", _log.Warning);
        _leaseRecord.SetPaused(_paused, long.MinValue / 2); // nothing written yet; the first metadata read may have paused it: the guard must know before the first save
        _leaseGuard = new LeaseGuard(_leaseRecord.Path);
        if (_leaseGuard.TakeReport() is { } fencedByGuard)
        {
            _log.Warning($"While this monitor was not running: {fencedByGuard}");
            QueueEvent(Self, "primary_fenced", true, $"{Self.Name}: {fencedByGuard}");
        }
        EndFenceLeftOver();
        long? keptLease = _leaseRecord.Load(NowMs, ForgetLeaseAfterStop);
        lock (_gate)
        {
            // A monitor restarted in this boot keeps the lease it had (the standbys have been counting since it was
            // last vouched for). A first start gives the other members' monitors one detection window to answer
            // before it fences for want of a majority: no standby can vote it out sooner than that either. With
            // etcd nothing: a standby may take the leader key once it is gone, so etcd is asked first (below).
            _mayTakeWrites = Self is { Role: PgHaRole.Primary, Active: true };
            // A standby has no lease until it wins one: a start's window must never outlast an election's.
            _lease = new PrimaryLease(keptLease ?? (_mayTakeWrites ? NowMs + (long)StartGrace.TotalMilliseconds : NowMs));
            // Saved at once, the start's window included: a monitor that crashes seconds after its start (inside
            // a partition that began meanwhile) must not get a second window when it is started again. A standby
            // has nothing to save: its record would be a stale lease that a later start as the primary (after a
            // switchover made while this monitor was down) took for its own and fenced on (benchmark runs: 3 in 25
            // restarts of every monitor).
            if (_mayTakeWrites)
            {
                SaveLeaseRecord();
            }
            else
            {
                _leaseRecord.Delete();
            }
        }
        if (keptLease is { } kept && _mayTakeWrites)
        {
            _log.Info($"{Self.Name} keeps the lease its monitor had before the restart: it {(kept > NowMs ? $"ends in {(kept - NowMs) / 1000.0:0.0} s" : "has ended")} unless a majority vouches for it.");
        }
        IPAddress listenAddress = _members.SelfAddress ?? IPAddress.Loopback;
        _signer = new PeerSigner(ClusterSecret.Load(_target.SecretFile ?? ClusterSecretLocation.DefaultPath), Self.Id);
        _refusals = new ThrottledLog(_log.Warning, TimeSpan.FromSeconds(10));
        _peers = new PeerClient(_members.SelfAddress, _settings.PeerTimeout, _signer, _refusals.Note);
        _consensus = CreateConsensus();
        await using var server = new PeerServer(new IPEndPoint(listenAddress, Self.EffectiveMonitorPort), _signer, StatusFor, HandlePeerRequestAsync, _refusals.Note);
        try
        {
            server.Start();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new PgHaException(PgHaErrorIds.MonitorPortInUse, Self.Name,
                $"The monitor of {Self.Name} cannot listen on {listenAddress}:{Self.EffectiveMonitorPort} ({ex.Message}). Is another monitor for this node running? " +
                "Otherwise register the node with another -MonitorPort.", ex);
        }
        if (_mayTakeWrites && IsLeader && _lease.HasExpired(NowMs))
        {
            // The lease ran out while the monitor was down (or, with etcd, there is none yet): one round of asking
            // decides at once whether the members still vouch for it (a monitor that only crashed), or etcd lets it
            // hold the leader key, before the lease timer fences it (a partition, etcd out of reach).
            await RenewLeaseAsync().ConfigureAwait(false);
        }
        _log.Debug($"Ready to decide {startClock.Elapsed.TotalSeconds:0.00} s after the start began.");
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
        Task publishing = PublishLoopAsync(stopWatching.Token);
        try
        {
            await MainLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                // First, before the loops unwind (which may take longer than the lease has left on a busy host): the
                // record no longer follows the lease, and a stop on purpose disarms the lease guard. At such a stop a
                // primary's lease that a majority renewed is kept for a quick restart (see LeaseRecord); an ended
                // lease of a node that may still take writes stays armed (the guard fences it, as the timer would
                // have; its restart fences it unless the members vouch); anything else goes, so that no stale record
                // outlives its role. A main loop that ended by an error is a crash to the guard: the record stays.
                _stopping = true;
                if (Ct.IsCancellationRequested)
                {
                    if (!_lease.HasExpired(NowMs) && _majorityEverRenewed && _mayTakeWrites)
                    {
                        _leaseRecord.SaveStopped(_lease.ExpiresAtMs, NowMs);
                    }
                    else if (!(_lease.HasExpired(NowMs) && _mayTakeWrites))
                    {
                        _leaseRecord.Delete();
                    }
                }
            }
            // Also when the main loop ends by an error: no watch loop or kept-open session may outlive the monitor
            // (in an interactive session the process goes on).
            await stopWatching.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(watching, renewing, timing, publishing).ConfigureAwait(false);
            _etcdClient?.Dispose();
            await _leaderSession.CloseAsync().ConfigureAwait(false);
            await DropLocalConnectionAsync().ConfigureAwait(false);
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
            _roundClock.Restart();
            Stopwatch round = _roundClock;
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
                _checkFailures.Note($"Check failed: {ex.Message}");
                pause = FailedRoundPause();
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

    /// <summary>How long ago this process started (a monitor restarted by systemd or at a reboot: the runtime, PowerShell and the module).</summary>
    private static string ProcessAge()
    {
        using var self = Process.GetCurrentProcess();
        return $"{(DateTime.Now - self.StartTime).TotalSeconds:0.00} s";
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
            catch (PgHaException ex) when (ex.ErrorId is PgHaErrorIds.NodeUnreachable or PgHaErrorIds.MetadataUnreachable && clock.Elapsed < FirstMetadataPatience)
            {
                _log.Warning($"The metadata cannot be read yet ({ex.Message}); trying again.");
                await Task.Delay(_settings.ReconnectInterval, Ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One round: observe (the metadata, the local server, and what else the round's question needs), take one
    /// <see cref="HaSnapshot"/>, let <see cref="HaRules"/> decide one action, perform it. Returns how long to
    /// wait before the next round.
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
        HaAction action = HaRules.Decide(snapshot);
        await PerformAsync(action).ConfigureAwait(false);
        if (action is HaAction.Elect or HaAction.Promote && _role == MonitorRole.Primary)
        {
            // Promoted this round: the round's probe still says "in recovery", and the health endpoint's /primary
            // answers from what the round publishes. Probe again now, so that the snapshot published at the end of
            // this round already shows the writable leader (HAProxy routes to it one check later, not one round).
            await ProbeLocalAsync().ConfigureAwait(false);
            return _settings.PrimaryCheckInterval;
        }
        // A primary (running or stopped) is looked at every primary check interval; so is a paused node whose
        // server answers: a switchover promotes a paused standby, whose monitor must see it writable within a
        // quarter second, not a second, for its /primary to answer.
        return snapshot.RunsWritable || HaRules.IsDownPrimary(snapshot) || (snapshot.Paused && snapshot.InRecovery is not null)
            ? _settings.PrimaryCheckInterval
            : WatchInterval();
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
                ConsensusRefusal = _consensusRefusal,
                PromotionPending = IsLeader && _wonTerm is { } won && won.Term == _watch.Term,
                GaveUpTerm = IsLeader && _gaveUpTerm == _watch.Term,
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
            case HaAction.Promote:
                await PromoteWonTermAsync().ConfigureAwait(false);
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

    /// <summary>
    /// How long after a round that failed the next one runs: the reconnect interval, but a primary's (or the
    /// leader's) round again after its check interval. A kill -9 of its server broke the round's metadata read
    /// before the probe could see the server gone, and the next round is what confirms it down and fences it,
    /// which a failover with etcd waits for (a whole second was lost there in the benchmark).
    /// </summary>
    private TimeSpan FailedRoundPause()
    {
        lock (_gate)
        {
            return IsLeader || _mayTakeWrites ? _settings.PrimaryCheckInterval : _settings.ReconnectInterval;
        }
    }

    /// <summary>Beside the data directory (like the server log), so that neither a clone nor pg_rewind copies it.</summary>
    public static string DefaultStateFile(NodeRecord node) =>
        node.DataDirectory is { } dir
            ? dir.TrimEnd('/') + ".pgha-monitor.json"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pgha", $"monitor-{node.Name}.json");

    /// <summary>
    /// How often a member checks a primary it no longer vouches for: the vote-out rules are times, not counts, so this
    /// only sets how soon a failure is seen. 0.1 s: with etcd a lost node's leader key is seen gone at most this late
    /// (0.25 s cost a benchmark 0.1-0.2 s a failover); a check of a node whose port refuses costs a millisecond, and
    /// one that hangs (a dropped SYN) lasts its connect timeout anyway.
    /// </summary>
    private static readonly TimeSpan UnvouchedWatchInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Checks come every monitor interval while this member vouches for the primary, then every 0.1 s (at most every reconnect interval).</summary>
    private TimeSpan WatchInterval() =>
        _watch.Vouches(NowMs, _settings) ? _settings.MonitorInterval : Min(_settings.ReconnectInterval, UnvouchedWatchInterval);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private string NameOf(int? nodeId) =>
        nodeId is null ? "(none)" : _members?.ById(nodeId)?.Name ?? $"node {nodeId}";

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

    private void NoteOnce(string note)
    {
        if (_lastWaitingNote != note)
        {
            _lastWaitingNote = note;
            _log.Info(note);
        }
    }
}
