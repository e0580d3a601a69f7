using System.Globalization;
using System.Net;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations.Host;
using PgHa.Operations.Roles;
using PgHa.Operations.Service;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>The node's own server: probed over a session kept open between rounds.</summary>
internal sealed partial class NodeMonitor
{
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
                // A node whose promotion is being tried again stays a candidate, so that the members keep waiting for it.
                _role = Self.Role == PgHaRole.Witness ? MonitorRole.Witness
                    : !probe.InRecovery ? MonitorRole.Primary
                    : _wonTerm is not null && IsLeader ? MonitorRole.Candidate : MonitorRole.Standby;
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
                    throw new PgHaException(PgHaErrorIds.NodeUnreachable, Self.Name,
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
}
