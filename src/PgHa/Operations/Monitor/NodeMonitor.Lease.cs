using PgHa.Core;
namespace PgHa.Operations.Monitor;

/// <summary>
/// The primary's lease (<see cref="PrimaryLease"/>): renewed by one loop, checked by another, both apart from
/// the main loop. The main loop probes, reads metadata, records events, follows and rejoins; any of that may
/// take seconds (a probe refused by pg_hba, a metadata read that times out, a follow). The fence must not wait
/// for it: fault runs showed a primary that kept taking writes on its Unix socket for 22 s while its round
/// was stuck before the old fence check.
/// </summary>
internal sealed partial class NodeMonitor
{
    /// <summary>How often the lease timer looks at the clock: the fence starts at most this late.</summary>
    private static readonly TimeSpan LeaseTimerTick = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// While this node leads its term, asks the consensus every primary check interval to renew its lease
    /// (the built-in quorum: whether a majority of the members, itself included, still sees it; etcd: the
    /// leader key's lease). Once another node leads and this one's server takes no writes, what it held goes
    /// (etcd: a switchover's old primary deletes its leader key, so that the new one need not wait for it to expire).
    /// </summary>
    private async Task LeaseRenewalLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (IsLeader && Self.Role != PgHaRole.Witness)
                {
                    await RenewLeaseAsync().ConfigureAwait(false);
                }
                else if (!_mayTakeWrites)
                {
                    await ResignAsync(_watch.Term).ConfigureAwait(false);
                }
                await Task.Delay(_settings.PrimaryCheckInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is PgHaException or IOException or TimeoutException)
            {
                _log.Warning($"Asking the members for the lease failed: {ex.Message}");
            }
        }
    }

    private async Task RenewLeaseAsync()
    {
        LeaderWatch watch = _watch;
        LeaseRenewal renewal = await _consensus.RenewLeaseAsync(watch.Term, Ct).ConfigureAwait(false);
        lock (_gate)
        {
            // Only for the term it was asked for: a newer term learned meanwhile is not this lease's to extend.
            if (ReferenceEquals(_watch, watch))
            {
                _lastRenewal = renewal;
                if (renewal.ValidUntilMs is { } until)
                {
                    ExtendLeaseTo(until);
                    _majorityEverRenewed = true;
                }
            }
        }
    }

    /// <summary>The consensus granted this node the lease until <paramref name="untilMs"/>. Call under the gate.</summary>
    private void ExtendLeaseTo(long untilMs)
    {
        long now = NowMs;
        double secondsLeft = _lease.SecondsLeft(now);
        if (_lease.ExtendTo(untilMs))
        {
            SaveLeaseRecord();
            // Renewals come every primary round, 0.25 s apart (etcd: every keepalive interval), and a round takes up
            // to the peer timeout (all of it while a member does not answer); a lease renewed with less left than that
            // allows had stopped being renewed for a while: how close it came to fencing is what a blip is measured by.
            TimeSpan usualGap = _settings.LeaderKeepAliveInterval + _settings.PeerTimeout * 2 + TimeSpan.FromMilliseconds(250);
            if (secondsLeft > 0 && secondsLeft < (_settings.FenceTimeout - usualGap).TotalSeconds)
            {
                _log.Debug($"The lease of {Self.Name} was renewed again with {secondsLeft:0.00} s left of it.");
            }
        }
    }

    /// <summary>
    /// Fences this node when its lease has ended while it may take writes, whatever else the monitor is doing.
    /// It only looks at memory every <see cref="LeaseTimerTick"/>, on a thread of its own rather than the thread
    /// pool: after the process was frozen and thawed every timer of the monitor is due at once, and behind that
    /// queue (and the pool's slow growth when some of its threads block) the fence started 0.07-0.31 s after the
    /// thaw in the fault suite while the old primary took writes. On its own thread the check is the first thing
    /// to run, and the fence's first step (the server stopped in place, <see cref="FrozenServer"/>) runs on it
    /// without waiting for the pool.
    /// </summary>
    private Task LeaseTimerAsync(CancellationToken stop)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                RunLeaseTimer(stop);
                finished.SetResult();
            }
            catch (Exception ex)
            {
                finished.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = $"PgHa lease timer ({Self.Name})",
        };
        thread.Start();
        return finished.Task;
    }

    private void RunLeaseTimer(CancellationToken stop)
    {
        if (TimerThreadPriority.TryRaise() is { } notRaised)
        {
            _log.Info($"The lease timer of {Self.Name} runs at normal priority: {notRaised}. After a freeze or on a busy host its fence may start later.");
        }
        long dueAtMs = NowMs;
        while (!stop.IsCancellationRequested)
        {
            TimeSpan next = LeaseTimerTick;
            try
            {
                long lateMs = NowMs - dueAtMs; // tens of ms on a busy host; a freeze's whole length after a thaw
                if (LeaseEnded())
                {
                    // Blocking this thread is its purpose; up to the freeze the fence runs here without a thread switch.
                    FenceForLeaseAsync().GetAwaiter().GetResult();
                    _log.Debug($"The lease timer that fenced {Self.Name} ran {lateMs} ms after its tick was due.");
                }
                EnsureLeaseGuard();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Any error: this thread is what fences, so it must not end while the monitor runs on.
                _log.Warning($"Fencing {Self.Name} at the end of its lease failed: {ex.Message} Trying again.");
                next = _settings.PrimaryCheckInterval;
            }
            dueAtMs = NowMs + (long)next.TotalMilliseconds;
            stop.WaitHandle.WaitOne(next);
        }
    }

    /// <summary>
    /// Writes the lease to its record (what a restarted monitor keeps and what the lease guard obeys), unless the
    /// monitor is stopping (its last word on the record is already said). Call under the gate.
    /// </summary>
    private void SaveLeaseRecord()
    {
        if (!_stopping)
        {
            _leaseRecord?.Save(_lease.ExpiresAtMs);
        }
    }

    /// <summary>
    /// Every lease-timer tick: the record follows the lease in memory whatever changed it (a renewal, an election,
    /// a resume, a lease replaced by a shorter one), and is disarmed when this node may no longer take writes.
    /// Once a second: a <see cref="LeaseGuard"/> is kept running beside a local primary that may take writes, so
    /// that its lease is enforced while this monitor is not running (killed, crashed, being restarted), and what a
    /// guard reported is logged.
    /// </summary>
    private void EnsureLeaseGuard()
    {
        bool guarded;
        lock (_gate)
        {
            if (_leaseRecord is null || _leaseGuard is null || _stopping)
            {
                return;
            }
            if (_mayTakeWrites)
            {
                SaveLeaseRecord();
            }
            else if (_leaseRecord.Armed && _wonTerm is null)
            {
                // A standby now, or its server stopped or fenced: there is no lease to enforce, and a guard that went
                // on obeying the last one would stop a server this monitor leaves running (a read-only boot). Not while
                // a won term's promotion runs: its lease is the one the election granted.
                _leaseRecord.Delete();
            }
            // Only once its own probe found it writable: a primary's monitor starts before it knows its server.
            guarded = _mayTakeWrites && _role == MonitorRole.Primary;
        }
        if (!_leaseGuard.Due(NowMs))
        {
            return;
        }
        if (_leaseGuard.TakeReport() is { } report)
        {
            _log.Warning(report);
            QueueEvent(Self, "primary_fenced", true, $"{Self.Name}: {report}");
        }
        if (guarded && SelfHost is { SshHost: null } host && Fencing.LocalPostmaster(host) is { } postmaster)
        {
            _leaseGuard.Ensure(host.DataDirectory, postmaster, NowMs, _log.Warning);
        }
    }

    private bool LeaseEnded()
    {
        lock (_gate)
        {
            return _mayTakeWrites && !_paused && _lease.HasExpired(NowMs);
        }
    }

    private async Task FenceForLeaseAsync()
    {
        string why;
        lock (_gate)
        {
            why = $"its lease ended {-_lease.SecondsLeft(NowMs):0.00} s ago: " + (_lastRenewal switch
            {
                { ValidUntilMs: null, Why: { } notRenewed } => $"{notRenewed} ({_consensus.Name})",
                { ValidUntilMs: null } last => $"only {last.Backers} of {last.Members} members (itself included) vouched for it in its last round ({_consensus.Name}), a majority is {last.Quorum}",
                // The last round did renew it, and none came since: the process was frozen, or no round finished (cut off, starved).
                { } last => $"no renewal since its last one ({last.Backers} of {last.Members} members vouched, {_consensus.Name}): the monitor was frozen, starved or cut off meanwhile",
                null => $"no renewal round has finished since the monitor started or took the term ({_consensus.Name}, {_members.Nodes.Count} members)",
            });
        }
        await FenceOnceAsync(LeaseEnded, why, stale: false).ConfigureAwait(false);
    }

    /// <summary>
    /// Fences this node once: the lease timer and the main loop (a newer term's primary) may both decide to,
    /// and the second finds the first's work done. <paramref name="stillNeeded"/> is checked again inside.
    /// </summary>
    private async Task FenceOnceAsync(Func<bool> stillNeeded, string why, bool stale)
    {
        await _fencing.WaitAsync(Ct).ConfigureAwait(false);
        try
        {
            if (!stillNeeded())
            {
                return;
            }
            await FenceRunningAsync(why, () => _log.Warning(stale
                ? $"{Self.Name} is a former primary: {why}. Fencing it."
                : $"Fencing {Self.Name}: {why}. The other side may elect a new primary.")).ConfigureAwait(false);
        }
        finally
        {
            _fencing.Release();
        }
    }
}
