using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations;

/// <summary>
/// Register-PgHaNode's engine: <see cref="PlanAsync"/> proves the node really has the role asked for and
/// decides what to write (writing nothing: -WhatIf stops there); <see cref="ApplyAsync"/> writes it on
/// the primary under the metadata lock, with an event.
/// </summary>
internal static class NodeRegistration
{
    public static async Task<RegistrationPlan> PlanAsync(OperationContext context, RegistrationRequest request)
    {
        NodeNames.Validate(request.Name);
        await CheckHostAccessAsync(context, request).ConfigureAwait(false);
        RegistrationPlan plan = request.Role switch
        {
            PgHaRole.Primary => await PlanPrimaryAsync(context, request).ConfigureAwait(false),
            PgHaRole.Standby => await PlanStandbyAsync(context, request).ConfigureAwait(false),
            _ => await PlanWitnessAsync(context, request).ConfigureAwait(false),
        };
        int installed = plan.CreateMetadataDatabase ? 0 : await SchemaVersionAsync(context, plan.WriteTo).ConfigureAwait(false);
        return plan with { SchemaUpgradeNeeded = installed < MetadataMigrations.Steps.Max(s => s.Version) };
    }

    public static async Task<PgHaNodeRegistration> ApplyAsync(OperationContext context, RegistrationPlan plan)
    {
        CancellationToken ct = context.CancellationToken;
        string database = NodeConnector.MetadataDatabaseOf(plan.WriteTo);
        if (plan.CreateMetadataDatabase)
        {
            await CreateDatabaseAsync(context, plan.WriteTo, database).ConfigureAwait(false);
        }

        RegistrationDecision decision;
        await using (var connection = await NodeConnector.OpenAsync(context, plan.WriteTo, database).ConfigureAwait(false))
        {
            var store = new MetadataStore(connection);
            // Every write goes to the primary, so that is where the schema is created or brought up to date.
            var applied = await store.MigrateAsync(ct).ConfigureAwait(false);
            if (applied.Count > 0)
            {
                context.Reporter.Verbose($"Installed PgHa metadata schema version(s) {string.Join(", ", applied)} in database '{database}'.");
            }

            await using var change = await MetadataChange.BeginAsync(context, store).ConfigureAwait(false);
            // Decide again under the lock: another registration may have landed since the plan was made.
            var nodes = await store.GetNodesAsync(ct).ConfigureAwait(false);
            decision = RegistrationRules.Decide(nodes, plan.Record, plan.Request.Force,
                other => !plan.PrimaryLiveness.TryGetValue(other.Id, out bool live) || live);
            if (!decision.Changed)
            {
                await change.CommitAsync().ConfigureAwait(false);
                if (plan.Request.Role == PgHaRole.Witness)
                {
                    await CopyMetadataToWitnessAsync(context, plan).ConfigureAwait(false);
                }
                return plan.ToResult(PgHaRegistrationAction.Unchanged);
            }

            if (decision.PrimaryToDeactivate is NodeRecord old)
            {
                await store.SetActiveAsync(old.Id, false, ct).ConfigureAwait(false);
                await change.AddEventAsync(old.Id, old.Name, "primary_deactivate", true,
                    $"node '{old.Name}' marked inactive: node '{plan.Record.Name}' was registered as primary with -Force").ConfigureAwait(false);
            }
            if (decision.Action == PgHaRegistrationAction.Registered)
            {
                await store.InsertNodeAsync(decision.Record, ct).ConfigureAwait(false);
            }
            else
            {
                await store.UpdateNodeAsync(decision.Record, ct).ConfigureAwait(false);
            }
            string eventName = MetadataStore.RoleText(plan.Request.Role) + "_register";
            string verb = decision.Action == PgHaRegistrationAction.Registered ? "registered" : "re-registered (record updated)";
            string upstream = plan.UpstreamName is null ? string.Empty : $" with upstream '{plan.UpstreamName}'";
            await change.AddEventAsync(decision.Record.Id, decision.Record.Name, eventName, true,
                $"node '{decision.Record.Name}' (id {decision.Record.Id}) {verb} as {MetadataStore.RoleText(plan.Request.Role)}{upstream}").ConfigureAwait(false);
            await change.CommitAsync().ConfigureAwait(false);
        }

        if (plan.Request.Role == PgHaRole.Witness)
        {
            await CopyMetadataToWitnessAsync(context, plan).ConfigureAwait(false);
        }
        return plan.ToResult(decision.Action);
    }

    private static async Task<RegistrationPlan> PlanPrimaryAsync(OperationContext context, RegistrationRequest request)
    {
        var (probe, databaseExists) = await NodeProbe.ProbeWithFallbackAsync(context, request.Conninfo).ConfigureAwait(false);
        if (probe.InRecovery)
        {
            throw RoleMismatch(request, "it is in recovery (a standby)", "Register it with -Role Standby, or promote it first.");
        }

        IReadOnlyList<NodeRecord> nodes = databaseExists
            ? await ReadNodesIfInstalledAsync(context, request.Conninfo).ConfigureAwait(false)
            : [];
        NodeRecord desired = DesiredRecord(request, upstreamId: null);
        var liveness = await ProbeOtherPrimaryAsync(context, nodes, desired).ConfigureAwait(false);
        var decision = RegistrationRules.Decide(nodes, desired, request.Force, other => liveness[other.Id]);
        return new RegistrationPlan(request, decision, request.Conninfo, !databaseExists, false, null, liveness);
    }

    private static async Task<RegistrationPlan> PlanStandbyAsync(OperationContext context, RegistrationRequest request)
    {
        // A standby may not hold the metadata database yet (not replayed so far): the primary is then found through its upstream.
        var (probe, _) = await NodeProbe.ProbeWithFallbackAsync(context, request.Conninfo).ConfigureAwait(false);
        if (!probe.InRecovery)
        {
            throw RoleMismatch(request, "it is not in recovery (it runs as a primary)", "Register it with -Role Primary, or clone it as a standby first.");
        }
        NodeRecord primaryRecord = await FindRegisteredPrimaryAsync(context, request, probe).ConfigureAwait(false);
        var primaryInfo = RegisteredConninfo.Parse(primaryRecord);
        NodeProbeResult primaryProbe = await NodeProbe.ProbeAsync(context, primaryInfo).ConfigureAwait(false);
        if (primaryProbe.InRecovery)
        {
            throw new PgHaException(PgHaErrorIds.PrimaryInRecovery, primaryRecord.Name,
                $"The registered primary '{primaryRecord.Name}' is in recovery, so its metadata cannot be written. Register the node that really is primary first (Register-PgHaNode -Role Primary -Force).");
        }
        if (primaryProbe.SystemIdentifier != probe.SystemIdentifier)
        {
            throw new PgHaException(PgHaErrorIds.SystemIdentifierMismatch, request.Name,
                $"'{request.Name}' has system identifier {probe.SystemIdentifier}, the primary '{primaryRecord.Name}' has {primaryProbe.SystemIdentifier}: it is not a copy of this cluster. Clone it from the primary (New-PgHaStandby).");
        }
        var (nodes, _) = await MetadataReader.ReadNodesAsync(context, [primaryInfo]).ConfigureAwait(false);

        NodeRecord upstream = FindUpstream(request, probe, nodes);
        NodeRecord desired = DesiredRecord(request, upstream.Id);
        var decision = RegistrationRules.Decide(nodes, desired, request.Force, _ => true);
        return new RegistrationPlan(request, decision, primaryInfo, false, false, upstream.Name, new Dictionary<int, bool>());
    }

    private static async Task<RegistrationPlan> PlanWitnessAsync(OperationContext context, RegistrationRequest request)
    {
        if (request.PrimaryConninfo is null)
        {
            throw new PgHaException(PgHaErrorIds.PrimaryConninfoRequired, request.Name,
                "A witness is a separate PostgreSQL server outside the replication cluster, so PgHa cannot find the primary from it. Pass -PrimaryConninfo with the primary's conninfo.");
        }
        var (probe, witnessDatabaseExists) = await NodeProbe.ProbeWithFallbackAsync(context, request.Conninfo).ConfigureAwait(false);
        if (probe.InRecovery)
        {
            throw RoleMismatch(request, "it is in recovery", "A witness must be a writable server of its own, not a standby: give the -Conninfo of a separate PostgreSQL server (its own initdb).");
        }
        NodeProbeResult primaryProbe = await NodeProbe.ProbeAsync(context, request.PrimaryConninfo).ConfigureAwait(false);
        if (primaryProbe.InRecovery)
        {
            throw new PgHaException(PgHaErrorIds.PrimaryInRecovery, request.PrimaryConninfo.ToDisplayString(),
                "The server given as -PrimaryConninfo is in recovery. Pass the conninfo of the current primary.");
        }
        if (primaryProbe.SystemIdentifier == probe.SystemIdentifier)
        {
            throw new PgHaException(PgHaErrorIds.WitnessInCluster, request.Name,
                $"'{request.Name}' has the primary's system identifier ({probe.SystemIdentifier}): it belongs to the replication cluster. A witness must be a separate PostgreSQL server: give the -Conninfo of one made with its own initdb.");
        }
        var (nodes, _) = await MetadataReader.ReadNodesAsync(context, [request.PrimaryConninfo]).ConfigureAwait(false);
        NodeRecord desired = DesiredRecord(request, upstreamId: null);
        var decision = RegistrationRules.Decide(nodes, desired, request.Force, _ => true);
        // The witness database is created when the witness copy is written (after the primary's record).
        bool stale = !witnessDatabaseExists || decision.Changed
            || !await WitnessCopyMatchesAsync(context, request.Conninfo, nodes).ConfigureAwait(false);
        return new RegistrationPlan(request, decision, request.PrimaryConninfo, false, !witnessDatabaseExists, null, new Dictionary<int, bool>())
        {
            WitnessCopyStale = stale,
        };
    }

    /// <summary>
    /// The primary's record, from the standby's replicated copy of the metadata or, when that copy does not
    /// name one yet (the primary was registered a moment ago), from the node the standby streams from.
    /// </summary>
    private static async Task<NodeRecord> FindRegisteredPrimaryAsync(OperationContext context, RegistrationRequest request, NodeProbeResult probe)
    {
        var places = new List<ConnectionInfo> { request.Conninfo };
        if (probe.SenderHost is not null && probe.SenderPort is int senderPort)
        {
            places.Add(request.Conninfo.Without("hostaddr").With("host", probe.SenderHost).With("port", senderPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        foreach (ConnectionInfo place in places)
        {
            try
            {
                var (nodes, _) = await MetadataReader.ReadNodesAsync(context, [place]).ConfigureAwait(false);
                if (nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active) is NodeRecord primary)
                {
                    return primary;
                }
            }
            catch (PgHaException ex) when (ex.ErrorId is PgHaErrorIds.MetadataMissing or PgHaErrorIds.DatabaseMissing or PgHaErrorIds.NodeUnreachable)
            {
                context.Reporter.Verbose($"No primary found in the metadata on '{place.ToDisplayString()}': {ex.Message}");
            }
        }
        throw new PgHaException(PgHaErrorIds.NoPrimaryRegistered, request.Name,
            $"No active primary is registered in the metadata that '{request.Name}' or its upstream holds. Register the primary first with Register-PgHaNode -Role Primary.");
    }

    private static NodeRecord FindUpstream(RegistrationRequest request, NodeProbeResult probe, IReadOnlyList<NodeRecord> nodes)
    {
        if (probe.ReceiverStatus != "streaming")
        {
            throw new PgHaException(PgHaErrorIds.StandbyNotAttached, request.Name,
                $"'{request.Name}' is in recovery but not streaming from an upstream (WAL receiver: {probe.ReceiverStatus ?? "not running"}). Check its primary_conninfo and the upstream's pg_hba.conf, then register again.");
        }
        NodeRecord? sender = nodes.FirstOrDefault(n => n.Active
            && RegisteredConninfo.TryParse(n, out var info)
            && NodeEndpoint.Of(info).Matches(probe.SenderHost, probe.SenderPort));
        if (request.Upstream is not null)
        {
            NodeRecord named = NodeNames.Find(nodes, n => n.Name, request.Upstream)
                ?? throw new PgHaException(PgHaErrorIds.UpstreamNotRegistered, request.Upstream,
                    $"The upstream '{request.Upstream}' is not a registered node{(NodeNames.DifferentlyCased(nodes.Select(n => n.Name), request.Upstream) is { } other ? $" ('{other}' is: node names are case-sensitive)" : "")}. Register it first, or leave out -Upstream to use the node '{request.Name}' streams from.");
            if (sender?.Id != named.Id)
            {
                throw new PgHaException(PgHaErrorIds.UpstreamMismatch, request.Upstream,
                    $"'{request.Name}' streams from {sender?.Name ?? $"{probe.SenderHost}:{probe.SenderPort}"}, not from '{named.Name}'. Make it follow '{named.Name}' first, or leave out -Upstream.");
            }
            return named;
        }
        return sender ?? throw new PgHaException(PgHaErrorIds.UpstreamNotRegistered, request.Name,
            $"'{request.Name}' streams from {probe.SenderHost}:{probe.SenderPort}, which is not a registered active node. Register that node first.");
    }

    /// <summary>
    /// Later commands (clone, service control, switchover) reach the node's OS the way recorded here, so
    /// registration proves it works: SSH logs in with a verified host key, and the data directory is there.
    /// </summary>
    private static async Task CheckHostAccessAsync(OperationContext context, RegistrationRequest request)
    {
        if (request.SshHost is null && request.DataDirectory is null)
        {
            return;
        }
        await using var host = await NodeAccess.OpenAsync(context, request.Name, request.SshHost, request.SshPort, request.SshUser).ConfigureAwait(false);
        if (request.DataDirectory is not null
            && !await host.PathExistsAsync(request.DataDirectory.TrimEnd('/') + "/PG_VERSION", context.CancellationToken).ConfigureAwait(false))
        {
            throw new PgHaException(PgHaErrorIds.DataDirectoryNotFound, request.DataDirectory,
                $"There is no PostgreSQL data directory at {MessageText.Quote(request.DataDirectory)} on {host.Description} (no PG_VERSION file). Give the node's real -DataDirectory.");
        }
    }

    private static NodeRecord DesiredRecord(RegistrationRequest request, int? upstreamId) => new(
        request.Id ?? 0,
        request.Name,
        request.Role,
        upstreamId,
        Active: true,
        request.Location,
        request.Priority,
        request.Conninfo.WithoutPassword().ToString(),
        request.SlotName,
        request.DataDirectory,
        request.PgBinDir,
        request.SshHost,
        request.SshPort,
        request.SshUser,
        request.MonitorPort);

    private static async Task<bool> WitnessCopyMatchesAsync(OperationContext context, ConnectionInfo witness, IReadOnlyList<NodeRecord> primaryNodes)
    {
        var copy = await ReadNodesIfInstalledAsync(context, witness).ConfigureAwait(false);
        return copy.SequenceEqual(primaryNodes);
    }

    private static async Task<int> SchemaVersionAsync(OperationContext context, ConnectionInfo info)
    {
        await using var connection = await NodeConnector.OpenAsync(context, info, NodeConnector.MetadataDatabaseOf(info)).ConfigureAwait(false);
        return await new MetadataStore(connection).GetSchemaVersionAsync(context.CancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<NodeRecord>> ReadNodesIfInstalledAsync(OperationContext context, ConnectionInfo info)
    {
        await using var connection = await NodeConnector.OpenAsync(context, info, NodeConnector.MetadataDatabaseOf(info)).ConfigureAwait(false);
        var store = new MetadataStore(connection);
        return await store.GetSchemaVersionAsync(context.CancellationToken).ConfigureAwait(false) == 0
            ? []
            : await store.GetNodesAsync(context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>For a new primary: whether the currently registered one (if any) still runs as a primary.</summary>
    private static async Task<Dictionary<int, bool>> ProbeOtherPrimaryAsync(OperationContext context, IReadOnlyList<NodeRecord> nodes, NodeRecord desired)
    {
        var liveness = new Dictionary<int, bool>();
        foreach (NodeRecord other in nodes.Where(n => n.Role == PgHaRole.Primary && n.Active && n.Name != desired.Name))
        {
            try
            {
                var probe = await NodeProbe.ProbeAsync(context, RegisteredConninfo.Parse(other)).ConfigureAwait(false);
                liveness[other.Id] = !probe.InRecovery;
            }
            catch (PgHaException ex) when (!NodeConnector.LeavesStateUnknown(ex))
            {
                // An unusable conninfo is no proof that the registered primary is down: that error ends the registration.
                context.Reporter.Verbose($"The registered primary '{other.Name}' is not reachable: {ex.Message}");
                liveness[other.Id] = false;
            }
        }
        return liveness;
    }

    private static async Task CreateDatabaseAsync(OperationContext context, ConnectionInfo info, string database)
    {
        context.Reporter.Verbose($"Creating the PgHa metadata database '{database}'.");
        await using var connection = await NodeConnector.OpenAsync(context, info, "postgres").ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("CREATE DATABASE " + SqlIdentifier.Quote(database), connection);
        try
        {
            await cmd.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Created meanwhile by a concurrent registration: just as good.
        }
    }

    /// <summary>A witness keeps its own copy of the node records (its monitor keeps it in sync later).</summary>
    private static async Task CopyMetadataToWitnessAsync(OperationContext context, RegistrationPlan plan)
    {
        CancellationToken ct = context.CancellationToken;
        ConnectionInfo witness = plan.Request.Conninfo;
        string database = NodeConnector.MetadataDatabaseOf(witness);
        if (plan.CreateWitnessDatabase)
        {
            await CreateDatabaseAsync(context, witness, database).ConfigureAwait(false);
        }
        var (nodes, _) = await MetadataReader.ReadNodesAsync(context, [plan.WriteTo]).ConfigureAwait(false);
        await using var connection = await NodeConnector.OpenAsync(context, witness, database).ConfigureAwait(false);
        var store = new MetadataStore(connection);
        await store.MigrateAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await store.LockAsync(ct).ConfigureAwait(false);
        await store.ReplaceNodesAsync(nodes, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        context.Reporter.Verbose($"Copied {nodes.Count} node record(s) to the witness '{plan.Request.Name}'.");
    }

    private static PgHaException RoleMismatch(RegistrationRequest request, string what, string next) =>
        new(PgHaErrorIds.RoleMismatch, request.Name,
            $"'{request.Name}' cannot be registered as {MetadataStore.RoleText(request.Role)}: {what}. {next}");
}
