using System.Globalization;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Etcd;
using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations;

/// <summary>
/// Set-PgHaConsensus: records which backend decides elections in the metadata on the primary (standbys get it by
/// replication, witnesses' copies are written too). Only while the monitors are paused: a monitor must never find
/// the backend changed under an election it is taking part in. For etcd, etcd is asked first, with this host's
/// access, whether the prefix can be read: a backend nobody can reach is refused before it is recorded.
/// </summary>
internal static class ConsensusChange
{
    public const string EventName = "consensus_change";

    /// <param name="wanted">The backend; for etcd with the endpoints and files as <see cref="EtcdConsensus.Record"/> made them. A null prefix means the default, /pgha/SYSTEM-IDENTIFIER.</param>
    /// <param name="requirePaused">False only for a cluster whose monitors have never run (New-PgHaSandbox while it makes one).</param>
    public static async Task<PgHaConsensus> SetAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, ConsensusSettings wanted,
        EtcdAccess access, bool requirePaused = true)
    {
        CancellationToken ct = context.CancellationToken;
        var (nodes, _) = await MetadataReader.ReadNodesAsync(context, entryPoints).ConfigureAwait(false);
        NodeRecord primary = nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active)
            ?? throw new PgHaException(PgHaErrorIds.PrimaryNotFound, null,
                "No active primary is registered, so there is nowhere to record the consensus backend. Promote a standby first (Invoke-PgHaPromote).");
        ConnectionInfo primaryInfo = RegisteredConninfo.Parse(primary);
        await using NpgsqlConnection connection = await NodeConnector.OpenAsync(context, primaryInfo, NodeConnector.MetadataDatabaseOf(primaryInfo)).ConfigureAwait(false);
        var store = new MetadataStore(connection);
        string where = primaryInfo.ToDisplayString();
        await EnsureSchemaAsync(store, where, ct).ConfigureAwait(false);

        if (requirePaused)
        {
            // Asked before etcd is: the usual mistake gets its answer at once. Asked again under the lock below.
            EnsurePaused(await store.GetClusterStateAsync(ct).ConfigureAwait(false) is { Paused: true }, where);
        }
        ConsensusSettings before = await store.GetConsensusAsync(ct).ConfigureAwait(false);
        if (wanted.Backend == PgHaConsensusBackend.Etcd && wanted.EtcdPrefix is null)
        {
            // The prefix recorded already, else one no other cluster has: the system identifier all its nodes share.
            wanted = wanted with
            {
                EtcdPrefix = before.Backend == PgHaConsensusBackend.Etcd ? before.EtcdPrefix : "/pgha/" + await SystemIdentifierAsync(connection, ct).ConfigureAwait(false),
            };
        }
        if (wanted.Backend == PgHaConsensusBackend.Etcd)
        {
            bool samePrefix = before.Backend == PgHaConsensusBackend.Etcd && before.EtcdPrefix == wanted.EtcdPrefix;
            await CheckEtcdAsync(context, wanted, access, warnOfALeader: !samePrefix).ConfigureAwait(false);
        }

        string by = $"{Environment.UserName}@{Environment.MachineName}";
        ConsensusSettings recorded;
        bool changed;
        await using (MetadataChange change = await MetadataChange.BeginAsync(context, store).ConfigureAwait(false))
        {
            if (requirePaused)
            {
                EnsurePaused(await store.LockPausedAsync(ct).ConfigureAwait(false) == true, where);
            }
            ConsensusSettings current = await store.GetConsensusAsync(ct).ConfigureAwait(false);
            changed = !current.SameChoiceAs(wanted);
            if (!changed)
            {
                context.Reporter.Verbose($"The metadata on {primary.Name} already records {Describe(current)}: nothing to change.");
                return current.ToConsensus(where, changed: false);
            }
            recorded = wanted with { ChangedAt = DateTimeOffset.UtcNow, ChangedBy = by };
            await store.SetConsensusAsync(recorded, ct).ConfigureAwait(false);
            await change.AddEventAsync(primary.Id, primary.Name, EventName, true,
                $"elections decided by {Describe(recorded)} (was {Describe(current)}), set by {by}").ConfigureAwait(false);
            await change.CommitAsync().ConfigureAwait(false);
        }
        context.Reporter.Verbose($"Recorded {Describe(recorded)} in the metadata on {primary.Name}; the standbys get it by replication.");
        if (recorded.Backend == PgHaConsensusBackend.Etcd)
        {
            await WriteClusterConfigAsync(context, recorded, access, await SystemIdentifierAsync(connection, ct).ConfigureAwait(false), nodes).ConfigureAwait(false);
        }

        foreach (NodeRecord witness in nodes.Where(n => n.Role == PgHaRole.Witness && n.Active))
        {
            try
            {
                await WriteWitnessCopyAsync(context, witness, recorded).ConfigureAwait(false);
            }
            catch (PgHaException ex)
            {
                context.Reporter.Warning($"The witness {witness.Name}'s copy of the metadata could not be updated ({ex.Message}); run Set-PgHaConsensus again once it answers.");
            }
        }
        return recorded.ToConsensus(where, changed: true);
    }

    /// <summary>How the record reads in messages and events: never a user or a password (there are none in it).</summary>
    public static string Describe(ConsensusSettings settings) => settings.Backend == PgHaConsensusBackend.BuiltIn
        ? "the built-in quorum"
        : $"etcd {string.Join(",", settings.EtcdEndpoints)} under {settings.EtcdPrefix}"
          + (settings.EtcdCaFile is null && settings.EtcdCertFile is null ? string.Empty : $" (TLS: CA {settings.EtcdCaFile ?? "system"}, client certificate {settings.EtcdCertFile ?? "none"})");

    private static async Task EnsureSchemaAsync(MetadataStore store, string where, CancellationToken ct)
    {
        await store.EnsureReadableAsync(where, ct).ConfigureAwait(false);
        int version = await store.GetSchemaVersionAsync(ct).ConfigureAwait(false);
        if (version < 4)
        {
            throw new PgHaException(PgHaErrorIds.MetadataTooOld, where,
                $"The PgHa metadata on {where} is at schema version {version}, which cannot record a consensus backend (version 4 can). Upgrade it: run Register-PgHaNode -Force for the primary with this PgHa version.");
        }
    }

    private static void EnsurePaused(bool paused, string where)
    {
        if (!paused)
        {
            throw new PgHaException(PgHaErrorIds.ConsensusNotPaused, where,
                "The monitors are not paused. The consensus backend changes only while no monitor can be in an election: " +
                "run Suspend-PgHaMonitor, then Set-PgHaConsensus, then restart every monitor (each runs the backend recorded when it starts; a running one stops electing when the record changes), then Resume-PgHaMonitor.");
        }
    }

    private static async Task<string> SystemIdentifierAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT system_identifier::text FROM pg_control_system()", connection);
        return (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Reads the prefix with this host's access: the endpoints, TLS files, user and role are all proven, or the change is refused with etcd's own error.</summary>
    private static async Task CheckEtcdAsync(OperationContext context, ConsensusSettings wanted, EtcdAccess access, bool warnOfALeader)
    {
        EtcdClientSettings settings = EtcdConsensus.ClientSettings(wanted, access);
        context.Reporter.Verbose($"Asking {settings} for the keys under {wanted.EtcdPrefix}.");
        using var client = new EtcdClient(settings);
        var store = new EtcdClusterStore(client, wanted.EtcdPrefix!, "(check)");
        EtcdClusterView view = await store.ReadClusterAsync(context.CancellationToken).ConfigureAwait(false);
        context.Reporter.Verbose(string.Create(CultureInfo.InvariantCulture,
            $"etcd answered at revision {view.Revision}: {view.Members.Count} member key(s), leader key {(view.Leader is null ? "absent" : "held by " + view.Leader.NodeName)}."));
        // Under a prefix this cluster did not use before, a leader key is another cluster's (or a previous one's).
        if (warnOfALeader && view.Leader is not null)
        {
            context.Reporter.Warning($"The prefix {wanted.EtcdPrefix} already holds a leader key (node {view.Leader.NodeName}, cluster id {view.Leader.ClusterId}). " +
                "If no monitor of this cluster wrote it, another cluster uses the same prefix: give each cluster a prefix of its own (-EtcdPrefix).");
        }
    }

    /// <summary>
    /// The cluster's own settings under the prefix (PREFIX/config, as Patroni keeps its /config): which cluster
    /// uses the prefix (its system identifier and nodes), the endpoints, and who recorded it when, so that what
    /// etcd holds can be told apart from another cluster's. Never a user, a password or a key file's content.
    /// A failure is a warning: the monitors do not need it.
    /// </summary>
    private static async Task WriteClusterConfigAsync(OperationContext context, ConsensusSettings recorded, EtcdAccess access, string systemIdentifier, IReadOnlyList<NodeRecord> nodes)
    {
        var config = new System.Text.Json.Nodes.JsonObject
        {
            ["cluster"] = systemIdentifier,
            ["backend"] = "etcd",
            ["endpoints"] = new System.Text.Json.Nodes.JsonArray([.. recorded.EtcdEndpoints.Select(e => (System.Text.Json.Nodes.JsonNode?)e)]),
            ["nodes"] = new System.Text.Json.Nodes.JsonArray([.. nodes.Select(n => (System.Text.Json.Nodes.JsonNode?)n.Name)]),
            ["recordedAt"] = recorded.ChangedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["recordedBy"] = recorded.ChangedBy,
        };
        try
        {
            using var client = new EtcdClient(EtcdConsensus.ClientSettings(recorded, access));
            await new EtcdClusterStore(client, recorded.EtcdPrefix!, systemIdentifier).WriteSettingsAsync(config.ToJsonString(), context.CancellationToken).ConfigureAwait(false);
            context.Reporter.Verbose($"Wrote the cluster's settings to {recorded.EtcdPrefix}/config.");
        }
        catch (PgHaException ex)
        {
            context.Reporter.Warning($"The cluster's settings could not be written to {recorded.EtcdPrefix}/config in etcd ({ex.Message}); the monitors do not need them, run Set-PgHaConsensus again to write them.");
        }
    }

    private static async Task WriteWitnessCopyAsync(OperationContext context, NodeRecord witness, ConsensusSettings recorded)
    {
        ConnectionInfo info = RegisteredConninfo.Parse(witness);
        await using NpgsqlConnection connection = await NodeConnector.OpenAsync(context, info, NodeConnector.MetadataDatabaseOf(info)).ConfigureAwait(false);
        var store = new MetadataStore(connection);
        await EnsureSchemaAsync(store, info.ToDisplayString(), context.CancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(context.CancellationToken).ConfigureAwait(false);
        await store.LockAsync(context.CancellationToken).ConfigureAwait(false);
        await store.SetConsensusAsync(recorded, context.CancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(context.CancellationToken).ConfigureAwait(false);
    }
}
