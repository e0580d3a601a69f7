using System.Globalization;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>The leader: the watch loop that checks it (what this member vouches for), and the terms learned from members.</summary>
internal sealed partial class NodeMonitor
{
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
        if (await _leaderSession.TakesWritesAsync(leader, Ct).ConfigureAwait(false))
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
            && ((!status.ServerRunning && status.Fenced)
                || (status.Role is MonitorRole.Standby && watch.LeaderId == status.NodeId && status.Term == watch.Term && (status.LeaderId != status.NodeId || status.StandsAside)));
        // etcd: a leader key that is gone (or another's) is a failure confirmed by the consensus itself, unless
        // this member vouched for the leader's lease directly lately: a failsafe leader, out of etcd's reach,
        // may take writes until that vouch has run out although its key is gone.
        confirmedDown = confirmedDown || (await _consensus.LeaderGoneAsync(watch.Term, leader.Id, Ct).ConfigureAwait(false) && !watch.LeaseVouchRunning(NowMs, _settings));
        bool promoting = status is not null && status.Role == MonitorRole.Candidate && status.Term == watch.Term && status.LeaderId == status.NodeId;
        bool failedNow;
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
            // Once per watch, whichever rule made it fail (confirmed down, the detection window, the early vote-out).
            failedNow = _watch.HasFailed(NowMs, _settings) && !ReferenceEquals(_failureSignalledFor, _watch);
            if (failedNow)
            {
                _failureSignalledFor = _watch;
            }
        }
        if (failedNow)
        {
            _log.Debug($"{leader.Name} has failed as this member sees it ({(confirmedDown ? "confirmed: its server is down and fenced, or the consensus let it go" : "not reached in time")}): waking the main loop.");
            // The main loop may be sleeping out a whole monitor interval decided while the leader still answered:
            // the election must not wait for it (up to a second was lost there in the etcd benchmark).
            _wake.Release();
        }
    }

    /// <summary>The leader's server answers as a writable primary.</summary>
    private async Task<bool> LeaderAnswersAsync(NodeRecord leader)
    {
        try
        {
            // A new session, bounded by the connect timeout and the statement deadline (not the watch's 1 s: a
            // fresh session on a busy host can take longer, and this gates announcements, follows and rejoins).
            NodeProbeResult probe = await NodeProbe.ProbeAsync(_context, NodeRecordLookup.ConninfoOf(leader)).ConfigureAwait(false);
            return !probe.InRecovery;
        }
        catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException && !Ct.IsCancellationRequested)
        {
            return false;
        }
    }

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
            _lastRenewal = null; // a renewal of the old term says nothing about this one
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
}
