using System.Globalization;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Which consensus this monitor runs (the one the metadata records when it starts), the loop that publishes
/// its state through it, and letting go of what it holds once it no longer leads.
/// </summary>
internal sealed partial class NodeMonitor
{
    private ConsensusSettings _startConsensus = ConsensusSettings.BuiltIn; // the record read at the start: what this monitor runs
    private EtcdClient? _etcdClient;
    private string? _clusterId; // the data nodes' system identifier (etcd's leader key names its cluster by it)

    /// <summary>
    /// How long a primary may take writes after a first start before the backend renewed its lease: decided from
    /// the recorded backend, because the start's lease is set before the backend is made. The built-in quorum: a
    /// detection window (the members' watches begin with one). etcd: nothing, so etcd is asked first.
    /// </summary>
    private TimeSpan StartGrace => _startConsensus.Backend == PgHaConsensusBackend.Etcd ? TimeSpan.Zero : _settings.DetectionWindow;

    /// <summary>
    /// Right after the first metadata read: with etcd recorded, its client with this host's access (the node
    /// configuration's Etcd settings, -EtcdCredential) and a first read that proves the access (a refusal, of
    /// the user, its role or the TLS files, stops the monitor here; an unreachable etcd is a warning, and the
    /// lease timer fences a primary that cannot renew), and the cluster id from any data node that answers.
    /// </summary>
    private async Task OpenEtcdAsync()
    {
        if (_startConsensus.Backend != PgHaConsensusBackend.Etcd)
        {
            return;
        }
        EtcdClientSettings client = EtcdConsensus.ClientSettings(_startConsensus, _target.EtcdAccess ?? EtcdAccess.None, EtcdLeaseTiming.RequestTimeout(_settings.FenceTimeout));
        _etcdClient = new EtcdClient(client);
        EtcdClusterView? view;
        try
        {
            view = await new EtcdClusterStore(_etcdClient, _startConsensus.EtcdPrefix!, "(reader)").ReadClusterAsync(Ct).ConfigureAwait(false);
        }
        catch (PgHaException ex) when (ex.ErrorId == PgHaErrorIds.EtcdUnreachable)
        {
            _log.Warning(ex.Message);
            view = null;
        }
        catch
        {
            _etcdClient.Dispose();
            _etcdClient = null;
            throw;
        }
        if (view is not null)
        {
            // etcd's pause as seen with the first metadata read (which ran before etcd was open), so that the two
            // are instructions of the same moment and paused wins: a cluster paused in the metadata only (paused
            // under the built-in quorum, then switched to etcd) stays paused until Resume-PgHaMonitor.
            bool changed;
            lock (_gate)
            {
                _pause.Observe(PauseSource.Consensus, view.Paused, view.PauseRevision?.ToString(CultureInfo.InvariantCulture), _pause.SeenAtMs(PauseSource.Metadata) ?? NowMs);
                changed = UpdatePaused();
            }
            if (changed && _paused)
            {
                _log.Info("Monitoring is paused (etcd's pause key under the cluster's prefix): no failover, no fencing.");
            }
        }
        if (Self.Role != PgHaRole.Witness)
        {
            _clusterId = await ReadClusterIdAsync().ConfigureAwait(false);
        }
        EtcdLeaseTiming timing = EtcdLeaseTiming.For(_settings.FenceTimeout);
        _log.Info($"Consensus: {client} under {_startConsensus.EtcdPrefix} (lease TTL {timing.Ttl.TotalSeconds:0} s; the primary's own lease ends " +
            $"{timing.Margin.TotalSeconds:0.0#} s before etcd may let its key go; the leader key kept alive every {_settings.LeaderKeepAliveInterval.TotalSeconds:0.0#} s); " +
            (view is null ? "etcd does not answer yet." : $"leader key {(view.Leader is { } l ? $"held by {l.NodeName}{(l.Term is { } t ? $" (term {t})" : "")}" : "absent")}, {view.Members.Count} member state(s)."));
    }

    /// <summary>The backend the metadata recorded at the start (etcd: opened by <see cref="OpenEtcdAsync"/>).</summary>
    private IConsensus CreateConsensus()
    {
        var peers = new PeerQuorumConsensus(() => _members, _peers, _settings, AdmitStatus);
        if (_etcdClient is null)
        {
            if (_settings.EtcdKeepAliveInterval is not null)
            {
                _log.Warning("-EtcdKeepAliveInterval (EtcdKeepAliveInterval) is ignored: the metadata records the built-in quorum, not etcd, as the cluster's consensus.");
            }
            return peers;
        }
        var notes = new ThrottledLog(_log.Warning, TimeSpan.FromSeconds(10));
        return new EtcdMonitorConsensus(_etcdClient, _startConsensus.EtcdPrefix!, () => _members, ClusterIdNow, RecordedLeaderOf,
            EtcdLeaseTiming.For(_settings.FenceTimeout) with { LeaderKeepAliveInterval = _settings.EtcdKeepAliveInterval ?? TimeSpan.Zero }, Status, AdmitStatus, announcer: peers, notes.Note, _log.Info, _settings.EtcdFailsafe, _log.Debug);
    }

    /// <summary>The cluster id: read at the start from any data node, else from this node's latest probe (a data node's only).</summary>
    private string? ClusterIdNow()
    {
        if (_clusterId is null && Self.Role != PgHaRole.Witness && _local?.SystemIdentifier is { Length: > 0 } probed)
        {
            _clusterId = probed;
        }
        return _clusterId;
    }

    /// <summary>The data nodes' system identifier from the first data node that answers (this node first); null when none does.</summary>
    private async Task<string?> ReadClusterIdAsync()
    {
        IEnumerable<ConnectionInfo> sources = _members.Nodes.Where(n => n.Role != PgHaRole.Witness)
            .OrderBy(n => n.Id == Self.Id ? 0 : 1)
            .Select(n => n.Id == Self.Id ? LocalConninfo : NodeRecordLookup.ConninfoOf(n));
        foreach (ConnectionInfo source in sources)
        {
            try
            {
                NodeProbeResult probe = await NodeProbe.ProbeAsync(_context, source).ConfigureAwait(false);
                return probe.SystemIdentifier;
            }
            catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException && !Ct.IsCancellationRequested)
            {
                // The next data node (a refused connection, or a statement whose deadline passed).
            }
        }
        return null;
    }

    /// <summary>The metadata (this node's copy) records this node as the primary of <paramref name="term"/>.</summary>
    private bool RecordedLeaderOf(long term)
    {
        lock (_gate)
        {
            return _clusterState is { } state && state.Term == term
                && (state.TermPrimaryId ?? NodeRecordLookup.ActivePrimary(_members.Nodes)?.Id) == Self.Id;
        }
    }

    /// <summary>Publishes this member's state through the consensus every primary check interval (a no-op for the built-in quorum).</summary>
    private async Task PublishLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _consensus.PublishAsync(Status(), stop).ConfigureAwait(false);
                await Task.Delay(_settings.PrimaryCheckInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is PgHaException or IOException or TimeoutException)
            {
                _log.Warning($"Publishing this member's state failed: {ex.Message}");
                await Task.Delay(_settings.PrimaryCheckInterval, stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// This node no longer leads <paramref name="term"/> (fenced): what the consensus holds for it goes now
    /// (etcd: the leader key), so that a standby need not wait for it to expire.
    /// </summary>
    private Task ResignAsync(long term) => _consensus.ResignAsync(term, Ct);
}
