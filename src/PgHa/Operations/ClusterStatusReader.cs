using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations;

/// <summary>
/// Builds the cluster view: the registered nodes from the metadata of the first reachable entry point,
/// then every node probed at the same time, so one dead node costs one connect timeout, not one per node.
/// </summary>
internal static class ClusterStatusReader
{
    /// <param name="etcdAccess">This host's etcd access (-EtcdCredential), for reading the leader key when etcd decides; none by default.</param>
    public static async Task<PgHaCluster> ReadAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, EtcdAccess? etcdAccess = null)
    {
        var ((nodes, state, consensus), source) = await MetadataReader.WithMetadataAsync(context, entryPoints, async store =>
            (await store.GetNodesAsync(context.CancellationToken).ConfigureAwait(false),
             await store.GetClusterStateAsync(context.CancellationToken).ConfigureAwait(false),
             await store.GetConsensusAsync(context.CancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        context.Reporter.Verbose($"Read {nodes.Count} node record(s) from the metadata on '{source.ToDisplayString()}'; probing them.");

        // etcd is asked while the nodes are probed: a slow etcd costs its deadline once, not on top of the probes.
        Task<(EtcdLeaderRecord? Leader, string? Error)> etcdLeader = consensus.Backend == PgHaConsensusBackend.Etcd
            ? ReadEtcdLeaderAsync(context, consensus, etcdAccess ?? EtcdAccess.None)
            : Task.FromResult<(EtcdLeaderRecord?, string?)>((null, null));
        var probes = await Task.WhenAll(nodes.Select(node => ProbeAsync(context, node))).ConfigureAwait(false);
        var byId = nodes.ToDictionary(n => n.Id);
        var outcomes = nodes.Zip(probes).ToDictionary(pair => pair.First.Id, pair => pair.Second);
        DateTimeOffset checkedAt = DateTimeOffset.UtcNow;

        NodeRecord? primary = nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active);
        NodeProbeResult? primaryProbe = primary is null ? null : outcomes[primary.Id].Probe;

        var result = new List<PgHaNode>();
        foreach (NodeRecord node in nodes)
        {
            result.Add(Describe(node, outcomes[node.Id], byId, outcomes, primary, primaryProbe, checkedAt, source));
        }

        var clusterWarnings = new List<string>();
        if (primary is null)
        {
            clusterWarnings.Add("No active primary is registered. Register one with Register-PgHaNode -Role Primary.");
        }
        else if (primaryProbe is null)
        {
            clusterWarnings.Add($"The registered primary '{primary.Name}' is unreachable: the cluster takes no writes until it is back or a standby is promoted.");
        }
        if (state is { Paused: true })
        {
            clusterWarnings.Add($"Monitoring is paused since {state.PausedAt:u}{(state.PausedBy is null ? string.Empty : $" (by {state.PausedBy})")}: no automatic failover and no fencing. Resume-PgHaMonitor ends it.");
        }
        if (state is { SynchronousSetAside: { } setAside })
        {
            clusterWarnings.Add($"Synchronous replication is degraded since {state.SynchronousDegradedAt:u}: synchronous_standby_names ('{setAside}') was set aside because no synchronous standby was attached, so commits are acknowledged before any standby has them. The monitor puts it back when a standby it names streams again.");
        }
        var (leader, etcdError) = await etcdLeader.ConfigureAwait(false);
        if (etcdError is not null)
        {
            clusterWarnings.Add($"Elections are decided by etcd, which could not be read from here: {etcdError}");
        }
        var writable = result.Where(n => n.InRecovery == false && n.Role != PgHaRole.Witness).Select(n => n.Name).ToList();
        if (writable.Count > 1)
        {
            clusterWarnings.Add($"More than one node accepts writes ({string.Join(", ", writable)}): split brain. Stop all but one (Stop-PgHaNode) and rejoin the others as standbys.");
        }

        return new PgHaCluster
        {
            Primary = primary?.Name,
            SystemIdentifier = primaryProbe?.SystemIdentifier,
            Nodes = [.. result],
            Warnings = [.. clusterWarnings, .. result.SelectMany(n => n.Warnings.Select(w => $"{n.Name}: {w}"))],
            CheckedAt = checkedAt,
            MetadataConninfo = source.ToDisplayString(),
            Consensus = new PgHaConsensus
            {
                Backend = consensus.Backend,
                EtcdEndpoints = [.. consensus.EtcdEndpoints],
                EtcdPrefix = consensus.EtcdPrefix,
                EtcdCaFile = consensus.EtcdCaFile,
                EtcdCertFile = consensus.EtcdCertFile,
                EtcdKeyFile = consensus.EtcdKeyFile,
                ChangedAt = consensus.ChangedAt,
                ChangedBy = consensus.ChangedBy,
                Leader = leader?.NodeName,
                LeaderLeaseTtl = leader?.TtlLeft is { } ttl ? (long)ttl.TotalSeconds : null,
                MetadataConninfo = source.ToDisplayString(),
            },
        };
    }

    /// <summary>The leader key as etcd holds it, or why etcd could not say (a warning of the cluster, not a failure of the call).</summary>
    private static async Task<(EtcdLeaderRecord? Leader, string? Error)> ReadEtcdLeaderAsync(OperationContext context, ConsensusSettings consensus, EtcdAccess access)
    {
        try
        {
            return (await EtcdConsensus.ReadLeaderAsync(consensus, access, context.CancellationToken).ConfigureAwait(false), null);
        }
        catch (PgHaException ex)
        {
            return (null, ex.Message);
        }
    }

    private static async Task<ProbeOutcome> ProbeAsync(OperationContext context, NodeRecord node)
    {
        try
        {
            var info = RegisteredConninfo.Parse(node);
            await using var connection = await NodeConnector.OpenAsync(context, info, NodeConnector.MetadataDatabaseOf(info)).ConfigureAwait(false);
            // A standby whose WAL receiver is down shows the timeline of its WAL, not pg_control's older one.
            return new ProbeOutcome(await StandbyTimeline.ProbeAsync(context, node.Name, connection).ConfigureAwait(false), null);
        }
        catch (PgHaException ex)
        {
            return new ProbeOutcome(null, ex.Message);
        }
    }

    private static PgHaNode Describe(
        NodeRecord node,
        ProbeOutcome outcome,
        IReadOnlyDictionary<int, NodeRecord> byId,
        IReadOnlyDictionary<int, ProbeOutcome> outcomes,
        NodeRecord? primary,
        NodeProbeResult? primaryProbe,
        DateTimeOffset checkedAt,
        ConnectionInfo source)
    {
        var warnings = new List<string>();
        NodeProbeResult? probe = outcome.Probe;
        NodeRecord? upstream = node.UpstreamId is int up && byId.TryGetValue(up, out var u) ? u : null;

        PgHaNodeStatus status;
        if (probe is null)
        {
            status = PgHaNodeStatus.Unreachable;
            if (node.Active)
            {
                warnings.Add($"unreachable: {outcome.Error}");
            }
        }
        else if (node.Role == PgHaRole.Standby && !probe.InRecovery)
        {
            status = PgHaNodeStatus.RunningAsPrimary;
            warnings.Add("registered as a standby but running as a primary (not in recovery); if it was promoted on purpose, re-register it with Register-PgHaNode -Role Primary -Force, otherwise stop it and rejoin it as a standby.");
        }
        else if (node.Role == PgHaRole.Primary && probe.InRecovery)
        {
            status = PgHaNodeStatus.RunningAsStandby;
            warnings.Add("registered as the primary but running as a standby (in recovery); register the node that really is primary.");
        }
        else
        {
            status = PgHaNodeStatus.Running;
        }

        if (probe is not null && !node.Active)
        {
            warnings.Add("marked inactive in the metadata but running; register it again (-Force) or stop it.");
        }

        // Replication facts only mean something for a standby that really is in recovery.
        bool? attached = null;
        string? streamingFrom = null;
        long? lagBytes = null;
        if (probe is not null && node.Role == PgHaRole.Standby && probe.InRecovery)
        {
            NodeRecord? sender = StreamingSender.Of(node, probe, byId.Values);
            streamingFrom = sender?.Name ?? StreamingSender.Describe(probe);
            attached = probe.ReceiverStatus == "streaming" && upstream is not null && sender?.Id == upstream.Id;
            if (probe.ReceiverStatus is null)
            {
                warnings.Add($"not streaming: no WAL receiver is running (check primary_conninfo and the upstream's pg_hba.conf; the server log says why).");
            }
            else if (probe.ReceiverStatus != "streaming")
            {
                warnings.Add($"WAL receiver is '{probe.ReceiverStatus}', not streaming.");
            }
            else if (upstream is null)
            {
                warnings.Add("no upstream is registered for this standby; register it again with -Force to record its upstream.");
            }
            else if (sender is null)
            {
                warnings.Add($"streams from {streamingFrom}, which is not a registered node (registered upstream: {upstream.Name}).");
            }
            else if (sender.Id != upstream.Id)
            {
                warnings.Add($"streams from {sender.Name} but its registered upstream is {upstream.Name}; register it again with -Force, or make it follow {upstream.Name}.");
            }

            if (primaryProbe?.CurrentLsn is PgHaLsn primaryLsn && probe.ReplayLsn is PgHaLsn replay)
            {
                lagBytes = Math.Max(0, primaryLsn.BytesSince(replay));
            }
        }

        if (probe is not null && primaryProbe is not null && primary is not null && node.Id != primary.Id && node.Role != PgHaRole.Witness)
        {
            if (probe.SystemIdentifier != primaryProbe.SystemIdentifier)
            {
                warnings.Add($"its system identifier {probe.SystemIdentifier} differs from the primary's {primaryProbe.SystemIdentifier}: it is not a copy of this cluster and must be cloned again.");
            }
            else if (probe.Timeline is int tl && primaryProbe.Timeline is int ptl && tl != ptl)
            {
                warnings.Add($"on timeline {tl} while the primary is on timeline {ptl}.");
            }
        }

        return new PgHaNode
        {
            Id = node.Id,
            Name = node.Name,
            Role = node.Role,
            Status = status,
            Upstream = upstream?.Name,
            UpstreamId = node.UpstreamId,
            Location = node.Location,
            Priority = node.Priority,
            Timeline = probe?.Timeline,
            Conninfo = node.Conninfo,
            Active = node.Active,
            SlotName = node.SlotName,
            DataDirectory = node.DataDirectory,
            PgBinDir = node.PgBinDir,
            SshHost = node.SshHost,
            SshPort = node.SshPort,
            SshUser = node.SshUser,
            InRecovery = probe?.InRecovery,
            ServerVersion = probe?.ServerVersion,
            SystemIdentifier = probe?.SystemIdentifier,
            CurrentLsn = probe?.CurrentLsn?.ToString(),
            ReceiveLsn = probe?.ReceiveLsn?.ToString(),
            ReplayLsn = probe?.ReplayLsn?.ToString(),
            ReplayLagBytes = lagBytes,
            ReplayLagSeconds = probe is not null && node.Role == PgHaRole.Standby ? probe.ReplayLagSeconds : null,
            AttachedToUpstream = attached,
            StreamingFrom = streamingFrom,
            Error = outcome.Error,
            Warnings = [.. warnings],
            CheckedAt = checkedAt,
            MetadataConninfo = source.ToDisplayString(),
        };
    }

    private sealed record ProbeOutcome(NodeProbeResult? Probe, string? Error);
}
