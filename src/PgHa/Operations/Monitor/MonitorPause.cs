using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Suspend-PgHaMonitor / Resume-PgHaMonitor: the pause flag lives in pgha.cluster_state, written on the
/// primary (standbys get it by replication) and on the witness's copy, and every monitor reads it from its
/// own node each round; every monitor is also told directly, signed with the cluster secret, which is how a Resume still works while the
/// primary is down (the newest instruction wins). With etcd recorded as the consensus, Suspend/Resume also
/// write the pause key under its prefix, which the monitors read as a third source. The call then waits until every monitor that answers reports the new state, so
/// that "paused" means paused everywhere when it returns.
/// </summary>
internal static class MonitorPause
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(1);

    /// <param name="etcd">
    /// Suspend-/Resume-PgHaMonitor: this host's etcd access. When the cluster's metadata records etcd as its
    /// consensus, the pause key under its prefix is written too (the monitors also read it there); null: not
    /// (a switchover's short hold is told to the monitors directly and through the metadata only).
    /// </param>
    public static async Task<IReadOnlyList<PgHaMonitorStatus>> SetAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, bool paused, TimeSpan wait,
        EtcdAccess? etcd = null)
    {
        var (nodes, _) = await MetadataReader.ReadNodesAsync(context, entryPoints).ConfigureAwait(false);
        return await SetAsync(context, nodes, paused, wait, etcd).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<PgHaMonitorStatus>> SetAsync(OperationContext context, IReadOnlyList<NodeRecord> nodes, bool paused, TimeSpan wait,
        EtcdAccess? etcd = null)
    {
        NodeRecord primary = NodeRecordLookup.ActivePrimary(nodes)
            ?? throw new PgHaException(PgHaErrorIds.PrimaryNotFound, null,
                "No active primary is registered, so there is nowhere to record the pause. Promote a standby first (Invoke-PgHaPromote).");
        string by = $"{Environment.UserName}@{Environment.MachineName}";
        int told = await TellMonitorsAsync(context, nodes, paused).ConfigureAwait(false);
        bool primaryWritten = false;
        ConsensusSettings? consensus = null;
        try
        {
            consensus = await WriteAsync(context, NodeRecordLookup.ConninfoOf(primary), paused, by).ConfigureAwait(false);
            primaryWritten = true;
        }
        catch (PgHaException ex) when (told > 0 && ex.ErrorId == PgHaErrorIds.NodeUnreachable)
        {
            // The monitors that were told act on it; the metadata is corrected by the next primary's monitor.
            context.Reporter.Warning($"The primary {primary.Name} cannot be reached, so the metadata still shows the old state; {told} monitor(s) were told directly. ({ex.Message})");
        }
        foreach (NodeRecord witness in nodes.Where(n => n.Role == PgHaRole.Witness && n.Active))
        {
            try
            {
                await WriteAsync(context, NodeRecordLookup.ConninfoOf(witness), paused, by).ConfigureAwait(false);
            }
            catch (PgHaException ex)
            {
                context.Reporter.Warning($"The witness {witness.Name}'s copy could not be updated ({ex.Message}); its monitor takes the state from the primary at its next refresh.");
            }
        }
        if (etcd is not null && consensus is { Backend: PgHaConsensusBackend.Etcd })
        {
            await WriteEtcdAsync(context, consensus, etcd, paused, by).ConfigureAwait(false);
        }
        context.Reporter.Verbose($"Monitoring {(paused ? "paused" : "resumed")} in the metadata on {primary.Name}; waiting for the monitors to report it.");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyList<PgHaMonitorStatus> statuses = await MonitorStatusReader.ReadAsync(context, nodes, StatusTimeout).ConfigureAwait(false);
            var lagging = statuses.Where(s => s.Running && s.Paused != paused).ToList();
            if (lagging.Count == 0 || clock.Elapsed >= wait)
            {
                foreach (PgHaMonitorStatus status in statuses.Where(s => !s.Running))
                {
                    // A primary's monitor that neither answers nor can read the flag from its own node stays paused
                    // if it runs at all: it would not fence a primary cut off from the others, who may now elect.
                    context.Reporter.Warning(!paused && status.Name == primary.Name && !primaryWritten
                        ? $"Neither the monitor of the primary {primary.Name} (at {status.Endpoint}) nor its server answers, so a monitor running there was not resumed. If {primary.Name}'s server still runs, " +
                          "cut off from here, it does not fence itself while the other monitors may now elect a new primary: stop it, or pause again (Suspend-PgHaMonitor) until its monitor answers."
                        : $"The monitor of {status.Name} does not answer at {status.Endpoint}; it will read the new state when it starts.");
                }
                foreach (PgHaMonitorStatus status in lagging)
                {
                    context.Reporter.Warning($"The monitor of {status.Name} did not report the new state within {wait.TotalSeconds:0} s (is its node's replication behind?).");
                }
                return statuses;
            }
            await Task.Delay(PollInterval, context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Tells every monitor directly, signed with the cluster secret (they take it from nobody else); returns how many took it.</summary>
    private static async Task<int> TellMonitorsAsync(OperationContext context, IReadOnlyList<NodeRecord> nodes, bool paused)
    {
        NodeRecord[] active = nodes.Where(n => n.Active).ToArray();
        if (active.Length == 0)
        {
            return 0;
        }
        if (context.ClusterSecret is null)
        {
            context.Reporter.Warning($"No cluster secret was found (looked at {ClusterSecretLocation.DefaultPath}; give -SecretFile), so the monitors are not told directly: " +
                "each reads the new state from its own node's metadata within a few seconds, and a monitor whose node is down does not learn it.");
            return 0;
        }
        MonitorMembers members = await MonitorMembers.ResolveAsync(active, active[0].Id, context.CancellationToken).ConfigureAwait(false);
        var client = new PeerClient(localAddress: null, StatusTimeout, new PeerSigner(context.ClusterSecret, selfId: 0), context.Reporter.Warning);
        var request = new PeerRequest { Op = paused ? PeerRequest.PauseOp : PeerRequest.ResumeOp };
        string?[] replies = await Task.WhenAll(active.Select(async n =>
            members.EndpointOf(n.Id) is { } endpoint ? await client.AskAsync(n.Id, endpoint, request, context.CancellationToken).ConfigureAwait(false) : null)).ConfigureAwait(false);
        return replies.Count(r => r is not null && r.Contains("\"ok\":true", StringComparison.Ordinal));
    }

    /// <summary>
    /// The pause key under the cluster's etcd prefix (present: paused, naming who paused; absent: resumed). A
    /// failure is a warning: the metadata and the direct messages carry the new state already, and each monitor
    /// takes the newest instruction it has seen from any of the three.
    /// </summary>
    private static async Task WriteEtcdAsync(OperationContext context, ConsensusSettings consensus, EtcdAccess access, bool paused, string by)
    {
        try
        {
            using var client = new EtcdClient(EtcdConsensus.ClientSettings(consensus, access, TimeSpan.FromSeconds(Math.Max(2, context.ConnectTimeoutSeconds))));
            await new EtcdClusterStore(client, consensus.EtcdPrefix!, "(pause)").SetPausedAsync(paused, by, context.CancellationToken).ConfigureAwait(false);
            context.Reporter.Verbose($"Monitoring {(paused ? "paused" : "resumed")} in etcd too ({consensus.EtcdPrefix}/pause).");
        }
        catch (PgHaException ex)
        {
            context.Reporter.Warning($"The pause key under {consensus.EtcdPrefix} in etcd could not be {(paused ? "written" : "deleted")} ({ex.ErrorId}: {ex.Message}). " +
                $"The monitors take the new state from the metadata and directly; {(paused ? "" : "a monitor started before etcd's key is deleted starts paused: run Resume-PgHaMonitor again once etcd answers, ")}give -EtcdCredential where etcd's access control is on.");
        }
    }

    /// <returns>The consensus the metadata records (etcd: where the pause key goes too).</returns>
    private static async Task<ConsensusSettings> WriteAsync(OperationContext context, ConnectionInfo target, bool paused, string by)
    {
        await using var connection = await NodeConnector.OpenAsync(context, target, NodeConnector.MetadataDatabaseOf(target)).ConfigureAwait(false);
        var store = new MetadataStore(connection);
        if (await store.GetClusterStateAsync(context.CancellationToken).ConfigureAwait(false) is null)
        {
            throw new PgHaException(PgHaErrorIds.MetadataTooOld, target.ToDisplayString(),
                "The PgHa metadata has no cluster state (schema older than version 3). Upgrade it: run Register-PgHaNode -Force for the primary with this PgHa version.");
        }
        await store.SetPausedAsync(paused, by, context.CancellationToken).ConfigureAwait(false);
        return await store.GetConsensusAsync(context.CancellationToken).ConfigureAwait(false);
    }
}
