using System.Net;
using System.Security.Cryptography;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Monitor.Health;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The monitor's side of the HTTP health endpoint: after every round it publishes what it knows as one
/// immutable <see cref="MonitorSnapshot"/> (a single reference write), which the endpoint only reads.
/// </summary>
internal sealed partial class NodeMonitor
{
    private volatile MonitorSnapshot? _snapshot;
    private (long Failovers, long Switchovers)? _eventCounts;

    /// <summary>The last published snapshot (null before the first round ends).</summary>
    internal MonitorSnapshot? Snapshot => _snapshot;

    /// <summary>Starts the endpoint, or returns null when it is switched off (-HttpPort 0).</summary>
    private HealthServer? StartHealthServer(IPAddress nodeAddress)
    {
        if (_settings.Http is not { Port: > 0 } http)
        {
            return null;
        }
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null;
        if (http.CertificateFile is not null || http.KeyFile is not null)
        {
            try
            {
                certificate = HealthServer.LoadCertificate(http.CertificateFile ?? "", http.KeyFile ?? "");
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new PgHaException(PgHaErrorIds.MonitorHttpCertificateInvalid, http.CertificateFile,
                    $"The HTTP endpoint's certificate cannot be loaded from '{http.CertificateFile}' and '{http.KeyFile}' ({ex.Message}). " +
                    "Give -HttpCertificateFile and -HttpKeyFile as PEM files the monitor's user can read.", ex);
            }
        }
        var endpoint = new IPEndPoint(http.Address ?? nodeAddress, http.Port);
        var server = new HealthServer(endpoint, certificate, request => HealthAnswers.Answer(request, _snapshot, NowMs, _settings.DetectionWindow));
        try
        {
            server.Start();
        }
        catch (System.Net.Sockets.SocketException ex) when (!http.Required)
        {
            _log.Warning($"No health endpoint: {endpoint} is taken ({ex.Message}). HAProxy and keepalived checks of {Self.Name} will fail; " +
                "give Start-PgHaMonitor another -HttpPort (0 switches the endpoint off).");
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return null;
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new PgHaException(PgHaErrorIds.MonitorHttpPortInUse, Self.Name,
                $"The monitor of {Self.Name} cannot serve HTTP on {endpoint} ({ex.Message}). Give it another -HttpPort (0 switches the endpoint off).", ex);
        }
        _log.Info($"Health endpoint of {Self.Name}: {(server.Tls ? "https" : "http")}://{server.Endpoint}/ (primary, replica, read-only, health, cluster, metrics).");
        return server;
    }

    private void PublishSnapshot(TimeSpan loopDuration)
    {
        if (_members is null || _watch is null)
        {
            return;
        }
        _snapshot = BuildSnapshot(loopDuration);
    }

    private MonitorSnapshot BuildSnapshot(TimeSpan loopDuration)
    {
        lock (_gate)
        {
            long now = NowMs;
            NodeRecord self = _members.Self;
            NodeRecord? leader = _members.ById(_watch.LeaderId);
            NodeRecord? upstream = _members.ById(self.UpstreamId);
            bool leads = _watch.LeaderId == self.Id;
            bool writable = _serverRunning && _local is { InRecovery: false } && self.Role != PgHaRole.Witness;
            NodeRecord? sender = _local is { InRecovery: true, ReceiverStatus: "streaming" }
                ? new[] { leader, upstream }.FirstOrDefault(n => n is not null && n.Id != self.Id && EndpointOf(n) is { } e && e.Matches(_local.SenderHost, _local.SenderPort))
                : null;
            long? lagBytes = _local is { InRecovery: true, SenderEndLsn: { } end, ReplayLsn: { } replay } ? Math.Max(0, end.BytesSince(replay)) : null;
            return new MonitorSnapshot
            {
                TakenAtMs = now,
                TakenAt = DateTimeOffset.UtcNow,
                NodeId = self.Id,
                NodeName = self.Name,
                Role = _role,
                ServerRunning = _serverRunning,
                InRecovery = _local?.InRecovery,
                Fenced = _fenced,
                Paused = _paused,
                Term = _watch.Term,
                Leader = leader?.Name,
                IsLeader = leads,
                // The lease the monitor's own timer fences by (PrimaryLease): /primary ends with it, never later.
                LeaseExpiresMs = leads && writable && !_fenced && _mayTakeWrites
                    ? (_paused ? long.MaxValue : _lease.ExpiresAtMs)
                    : null,
                Timeline = _local?.Timeline,
                StreamingFromUpstream = sender is not null,
                Upstream = sender?.Name ?? upstream?.Name,
                LagBytes = lagBytes,
                LagSeconds = _local is { InRecovery: true } ? _local.ReplayLagSeconds : null,
                Lsn = OwnLsn()?.ToString(),
                LastCheckAt = _lastCheckAt,
                LoopSeconds = loopDuration.TotalSeconds,
                Failovers = _eventCounts?.Failovers,
                Switchovers = _eventCounts?.Switchovers,
                Failover = _settings.Failover,
                Members = _members.Nodes.Select(n => new SnapshotMember(n.Id, n.Name, n.Role.ToString().ToLowerInvariant(), n.Active,
                    _members.ById(n.UpstreamId)?.Name, n.Location, n.Priority, EndpointOf(n)?.Host, EndpointOf(n)?.Port, n.Id == _watch.LeaderId)).ToArray(),
            };
        }
    }

    private static NodeEndpoint? EndpointOf(NodeRecord node) =>
        RegisteredConninfo.TryParse(node, out ConnectionInfo? info) ? NodeEndpoint.Of(info) : null;

    /// <summary>The cluster's failover and switchover counts, read with the metadata (a failure leaves the last counts).</summary>
    private async Task ReadEventCountsAsync(Npgsql.NpgsqlConnection connection)
    {
        try
        {
            _eventCounts = await ClusterEventCounts.ReadAsync(connection, Ct).ConfigureAwait(false);
        }
        catch (Npgsql.NpgsqlException)
        {
            // Counts are for /metrics only: never a reason to fail the refresh.
        }
    }
}
