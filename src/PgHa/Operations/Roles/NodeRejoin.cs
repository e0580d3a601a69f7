using System.Diagnostics;
using System.Globalization;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Host;
using PgHa.Operations.Service;
using PgHa.Sql;
using PgHa.Transport;

namespace PgHa.Operations.Roles;

/// <summary>
/// Invoke-PgHaRejoin (repmgr node rejoin): brings a stopped node, typically a former primary, back as a
/// standby. The plan reads the node's pg_control and the upstream's timeline history and decides, without
/// starting anything, whether it can follow directly, needs pg_rewind, or must be cloned again; the apply
/// step rewinds when decided, points the node at the upstream, starts it, waits until it streams and
/// records the new role with a node_rejoin event. A node that already runs and streams from the upstream
/// has nothing left to do (Changed = $false); the switchover uses the same plan and server steps for its
/// old primary.
/// </summary>
internal static class NodeRejoin
{
    public const string EventName = "node_rejoin";

    private static readonly TimeSpan QuickCommandTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TimelinePollInterval = TimeSpan.FromMilliseconds(100);

    public static async Task<RejoinPlan> PlanAsync(OperationContext context, RejoinRequest request)
    {
        CancellationToken ct = context.CancellationToken;
        var (nodes, source) = await MetadataReader.ReadNodesAsync(context, request.EntryPoints).ConfigureAwait(false);
        context.Reporter.Verbose($"Read {nodes.Count} node record(s) from the metadata on '{source.ToDisplayString()}'.");

        NodeRecord node = request.NodeId is { } nodeId
            ? nodes.FirstOrDefault(n => n.Id == nodeId)
              ?? throw new PgHaException(PgHaErrorIds.NodeNotFound, nodeId,
                  $"No node with id {nodeId} is registered. Get-PgHaNode lists the registered nodes.")
            : NodeNames.Single(nodes, n => n.Name, request.NodeName ?? "");
        if (node.Role == PgHaRole.Witness)
        {
            throw new PgHaException(PgHaErrorIds.RejoinWitness, node.Name,
                $"{node.Name} is a witness: it holds no copy of the cluster's data and cannot rejoin as a standby.");
        }

        NodeRecord primary = nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active && n.Id != node.Id)
            ?? throw new PgHaException(PgHaErrorIds.RejoinNoPrimary, node.Name,
                $"No other node is registered as the active primary, so there is nothing for {node.Name} to rejoin. " +
                "Register the node that is primary now (Register-PgHaNode -Role Primary -Force), or promote a standby first (Invoke-PgHaPromote).");
        NodeRecord upstream = primary;
        if (request.UpstreamName is not null)
        {
            upstream = NodeNames.Single(nodes, n => n.Name, request.UpstreamName);
            if (upstream.Id == node.Id || upstream.Role == PgHaRole.Witness || !upstream.Active)
            {
                throw new PgHaException(PgHaErrorIds.RejoinUpstreamInvalid, request.UpstreamName,
                    $"'{upstream.Name}' cannot be {node.Name}'s upstream: give the active primary, or an active standby for a cascading standby.");
            }
        }

        string? upstreamBefore = node.UpstreamId is { } before ? nodes.FirstOrDefault(n => n.Id == before)?.Name : null;
        return await PlanAsync(context, node, upstreamBefore, upstream, upstreamMustBePrimary: request.UpstreamName is null, RegisteredConninfo.Parse(primary), request.ForceRewind, request.Wait, primary).ConfigureAwait(false);
    }

    /// <summary>
    /// Decides how <paramref name="node"/> comes back as a standby of <paramref name="upstream"/>, without
    /// changing anything; the metadata is written on <paramref name="primaryConninfo"/>. Invoke-PgHaRejoin
    /// finds these in the metadata; a switchover passes its old primary and the candidate it just promoted.
    /// A running node is only accepted when it already streams from the upstream (nothing to do).
    /// </summary>
    public static async Task<RejoinPlan> PlanAsync(OperationContext context, NodeRecord node, string? upstreamBefore, NodeRecord upstream, bool upstreamMustBePrimary,
        ConnectionInfo primaryConninfo, bool forceRewind, TimeSpan wait, NodeRecord? primary = null)
    {
        CancellationToken ct = context.CancellationToken;
        NodeHost host = NodeHost.Of(node);
        string[] kept = UpstreamDirectoriesOnHost(node, upstream, primary);
        ConnectionInfo nodeConninfo = RegisteredConninfo.Parse(node);
        ConnectionInfo upstreamConninfo = RegisteredConninfo.Parse(upstream);

        NodeRunState state;
        string binDir;
        string controlText;
        TimelineHistory? newestHistory = null;
        await using (INodeTransport transport = await host.OpenAsync(context).ConfigureAwait(false))
        {
            binDir = await PgBinDirectory.ResolveAsync(transport, host.PgBinDir, host.DataDirectory, ct).ConfigureAwait(false);
            state = await NodeService.GetStateAsync(context, transport, host, binDir, withControlData: false).ConfigureAwait(false);
            if (!state.IsRunning)
            {
                // A stopped node's directory is rewound and rewritten: it must belong to no running server
                // (a registered path may be wrong, or a link into another server's files) and not to the upstream.
                await DirectoryGuard.EnsureSafeAsync(context, transport, host.DataDirectory, kept, null).ConfigureAwait(false);
            }
            // A running node is decided by what it streams (below), not by its pg_control.
            controlText = state.IsRunning ? string.Empty : await ReadControlDataAsync(context, transport, binDir, host).ConfigureAwait(false);
            if (!state.IsRunning)
            {
                newestHistory = await ReadNewestHistoryAsync(context, transport, host).ConfigureAwait(false);
            }
        }

        context.Reporter.Verbose($"Probing the upstream {upstream.Name} ({upstreamConninfo.ToDisplayString()}).");
        NodeProbeResult upstreamProbe;
        try
        {
            upstreamProbe = await NodeProbe.ProbeAsync(context, upstreamConninfo).ConfigureAwait(false);
        }
        catch (PgHaException ex) when (!NodeConnector.LeavesStateUnknown(ex))
        {
            throw new PgHaException(PgHaErrorIds.RejoinUpstreamUnreachable, upstream.Name,
                $"The upstream {upstream.Name} cannot be reached ({ex.Message}); {node.Name} can only rejoin a running upstream.", ex);
        }
        if (upstreamMustBePrimary && upstreamProbe.InRecovery)
        {
            throw new PgHaException(PgHaErrorIds.RejoinUpstreamInRecovery, upstream.Name,
                $"{upstream.Name} is registered as the primary but is in recovery (a standby). Promote it or register the real primary first, or give -Upstream for a cascading standby.");
        }
        int upstreamTimeline = upstreamProbe.Timeline
            ?? throw new PgHaException(PgHaErrorIds.RejoinUpstreamUnreachable, upstream.Name, $"{upstream.Name} did not report its timeline.");

        if (state.IsRunning)
        {
            RejoinVerdict streaming = await CheckRunningNodeAsync(context, node, nodeConninfo, state, upstream.Name, upstreamConninfo, upstreamTimeline).ConfigureAwait(false);
            return new RejoinPlan(node, host, nodeConninfo, null, upstream, upstreamConninfo, primaryConninfo, upstreamBefore, null, upstreamTimeline, streaming, wait, kept);
        }

        PgControlData control;
        try
        {
            control = PgControlData.Parse(controlText);
        }
        catch (FormatException ex)
        {
            throw new PgHaException(PgHaErrorIds.RejoinControlDataUnreadable, node.Name,
                $"pg_controldata's output for {node.Name} was not understood ({ex.Message}); the rejoin cannot be decided. Clone it again with New-PgHaStandby -Force.", ex);
        }

        TimelineHistory history = await ReadHistoryAsync(context, upstream.Name, upstreamConninfo, upstreamTimeline).ConfigureAwait(false);
        RewindPrerequisites rewind = RewindPrerequisites.Parse(controlText);
        RejoinVerdict verdict = RejoinDecision.Decide(node.Name, control, rewind, upstream.Name, upstreamProbe.SystemIdentifier, history,
            upstreamProbe.InRecovery ? upstreamProbe.ReplayLsn : upstreamProbe.CurrentLsn, forceRewind, newestHistory,
            newestHistory is not null && newestHistory.IsOnHistoryOf(history)
                && await TimelineStartDiffersAsync(context, host, upstream.Name, upstreamConninfo, newestHistory).ConfigureAwait(false));
        context.Reporter.Verbose($"Decision: {verdict.Method}. {verdict.Reason}");
        return new RejoinPlan(node, host, nodeConninfo, binDir, upstream, upstreamConninfo, primaryConninfo, upstreamBefore, control, upstreamTimeline, verdict, wait, kept);
    }

    /// <summary>
    /// A running node is never touched (nothing may write to it while it is checked and rewound), but one
    /// that already streams from the upstream on the upstream's timeline has rejoined: nothing to do. Any
    /// other running node is refused with what to do instead.
    /// </summary>
    private static async Task<RejoinVerdict> CheckRunningNodeAsync(OperationContext context, NodeRecord node, ConnectionInfo nodeConninfo, NodeRunState state,
        string upstreamName, ConnectionInfo upstreamConninfo, int upstreamTimeline)
    {
        string stopFirst = $"Rejoin works on a stopped node only, so that nothing writes to it while it is checked and rewound: stop it first (Stop-PgHaNode -Name {node.Name} -Mode Fast), then run Invoke-PgHaRejoin again";
        NodeProbeResult probe;
        try
        {
            probe = await NodeProbe.ProbeAsync(context, nodeConninfo).ConfigureAwait(false);
        }
        catch (PgHaException ex) when (!NodeConnector.LeavesStateUnknown(ex))
        {
            throw new PgHaException(PgHaErrorIds.RejoinNodeRunning, node.Name,
                $"{node.Name}'s server runs (pid {state.Pid}) but does not answer ({ex.Message}), so it cannot be told whether it already streams from {upstreamName}. {stopFirst}.", ex);
        }
        if (!probe.InRecovery)
        {
            throw new PgHaException(PgHaErrorIds.RejoinNodeRunning, node.Name,
                $"{node.Name}'s server runs as a primary (pid {state.Pid}, not in recovery). {stopFirst} (with -ForceRewind if it took writes after {upstreamName} was promoted).");
        }
        bool fromUpstream = probe.ReceiverStatus == "streaming" && NodeEndpoint.Of(upstreamConninfo).Matches(probe.SenderHost, probe.SenderPort);
        if (!fromUpstream)
        {
            string source = probe.ReceiverStatus is null ? "nothing" : $"{probe.SenderHost}:{probe.SenderPort?.ToString(CultureInfo.InvariantCulture)} ({probe.ReceiverStatus})";
            throw new PgHaException(PgHaErrorIds.RejoinNodeRunning, node.Name,
                $"{node.Name}'s server runs as a standby (pid {state.Pid}) that streams from {source}, not from {upstreamName}. " +
                $"A running standby changes upstream with Invoke-PgHaFollow -Name {node.Name}; or: {stopFirst}.");
        }
        if (probe.Timeline < upstreamTimeline)
        {
            throw new PgHaException(PgHaErrorIds.RejoinNodeRunning, node.Name,
                $"{node.Name}'s server runs and streams from {upstreamName}, but on timeline {probe.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, not {upstreamName}'s {upstreamTimeline}: it cannot follow it as it is. {stopFirst}.");
        }
        var verdict = new RejoinVerdict(RejoinMethod.None, $"{node.Name} already streams from {upstreamName} on timeline {probe.Timeline}.");
        context.Reporter.Verbose($"Decision: {verdict.Method}. {verdict.Reason}");
        return verdict;
    }

    public static async Task<PgHaRoleChange> ApplyAsync(OperationContext context, RejoinPlan plan)
    {
        var clock = Stopwatch.StartNew();
        string name = plan.Node.Name;
        if (plan.AlreadyDone)
        {
            return Result(plan, changed: false, clock.Elapsed);
        }
        if (plan.Verdict.Method != RejoinMethod.None)
        {
            try
            {
                await PerformAsync(context, plan).ConfigureAwait(false);
            }
            catch (PgHaException ex)
            {
                await RecordFailureAsync(context, plan, ex).ConfigureAwait(false);
                throw;
            }
        }

        NodeRecord rejoined = plan.Node with { Role = PgHaRole.Standby, Active = true, UpstreamId = plan.Upstream.Id };
        context.Reporter.Verbose($"Recording {name} as a standby of {plan.Upstream.Name} in the metadata.");
        await RoleChanges.RecordAsync(context, plan.PrimaryConninfo, [rejoined], [(rejoined, EventName, true, Details(plan))]).ConfigureAwait(false);
        return Result(plan, changed: true, clock.Elapsed);
    }

    /// <summary>
    /// The server side of a rejoin, without the metadata (a switchover records it with its other changes):
    /// pg_rewind when decided, the slot on the upstream, primary_conninfo and standby.signal, the start, and
    /// the wait until it streams from the upstream on the upstream's timeline.
    /// </summary>
    public static async Task PerformAsync(OperationContext context, RejoinPlan plan)
    {
        await using (INodeTransport transport = await plan.NodeHost.OpenAsync(context).ConfigureAwait(false))
        {
            // Again right before pg_rewind and the configuration writes: a server may have started since the plan.
            await DirectoryGuard.EnsureSafeAsync(context, transport, plan.NodeHost.DataDirectory, plan.KeptDirectories ?? UpstreamDirectoriesOnHost(plan.Node, plan.Upstream), null).ConfigureAwait(false);
        }
        if (plan.Verdict.Method == RejoinMethod.Rewind)
        {
            await RewindAsync(context, plan).ConfigureAwait(false);
        }
        if (plan.Node.SlotName is { } slot)
        {
            await ReplicationSlots.EnsureAsync(context, plan.Upstream.Name, plan.UpstreamConninfo, slot).ConfigureAwait(false);
        }
        await RoleChanges.PointAtUpstreamAsync(context, plan.NodeHost, plan.NodeConninfo, plan.UpstreamConninfo, plan.Node.SlotName, reload: false).ConfigureAwait(false);
        await NodeService.StartAsync(context, plan.NodeHost, null, plan.Wait).ConfigureAwait(false);
        await RoleChanges.WaitForStreamingFromAsync(context, plan.Node.Name, plan.NodeConninfo, plan.UpstreamConninfo, plan.Wait, plan.UpstreamTimeline).ConfigureAwait(false);
    }

    /// <summary>The node_rejoin event's details: how it rejoined and the facts the decision rested on.</summary>
    public static string Details(RejoinPlan plan) => plan.NodeControl is { } control
        ? string.Create(CultureInfo.InvariantCulture,
            $"{plan.Node.Name} rejoined as a standby of {plan.Upstream.Name} by {plan.Verdict.Method.ToString().ToLowerInvariant()}: it was on timeline {control.TimelineId} " +
            $"with its last checkpoint at {control.CheckpointLsn}; {plan.Upstream.Name} is on timeline {plan.UpstreamTimeline}")
        : $"{plan.Verdict.Reason} Recorded as its standby.";

    private static PgHaRoleChange Result(RejoinPlan plan, bool changed, TimeSpan duration) => new()
    {
        Node = plan.Node.Name,
        Action = "Rejoin",
        RoleBefore = plan.Node.Role,
        RoleAfter = PgHaRole.Standby,
        UpstreamBefore = plan.UpstreamBefore,
        UpstreamAfter = plan.Upstream.Name,
        Timeline = plan.UpstreamTimeline,
        Method = plan.Verdict.Method.ToString(),
        Duration = duration,
        Changed = changed,
    };

    /// <summary>
    /// Runs pg_rewind against the upstream, keeping the node's own configuration files: pg_rewind copies
    /// the source's, which name the source's address and port. primary_conninfo and the slot in the restored
    /// postgresql.auto.conf are rewritten by the next step (PointAtUpstream).
    /// </summary>
    private static async Task RewindAsync(OperationContext context, RejoinPlan plan)
    {
        CancellationToken ct = context.CancellationToken;
        string dir = plan.NodeHost.DataDirectory.TrimEnd('/');
        await using INodeTransport transport = await plan.NodeHost.OpenAsync(context).ConfigureAwait(false);
        // Only a stopped node is decided Rewind, and its plan always carries the bindir and pg_control.
        string binDir = await PgBinDirectory.RequireProgramAsync(transport, plan.BinDirectory!, "pg_rewind", ct).ConfigureAwait(false);

        var saved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in StandbyConfiguration.NodeOwnFiles)
        {
            if (await transport.ReadFileAsync($"{dir}/{file}", ct).ConfigureAwait(false) is { } content)
            {
                saved[file] = content;
            }
        }
        context.Reporter.Verbose($"Saved {plan.Node.Name}'s own {string.Join(", ", saved.Keys)} to put back after pg_rewind.");

        await CheckpointSourceAsync(context, plan).ConfigureAwait(false);

        if (!RejoinDecision.IsCleanShutdown(plan.NodeControl!.ClusterState)
            && await transport.PathExistsAsync(dir + "/standby.signal", ct).ConfigureAwait(false))
        {
            // pg_rewind finishes the crash recovery of an unclean directory in single-user mode, which refuses
            // to run with standby.signal ("standby mode is not supported by single-user servers"). A fenced
            // former primary has one; the next step writes it again before the server is ever started.
            context.Reporter.Verbose($"Removing {plan.Node.Name}'s standby.signal for pg_rewind's single-user crash recovery; it is written again before the server starts.");
            await transport.RunAsync("rm", ["-f", dir + "/standby.signal"], null, ct).ConfigureAwait(false);
        }

        CommandResult result;
        await using (TemporaryPassfile pass = await TemporaryPassfile.CreateAsync(context, transport, dir).ConfigureAwait(false))
        {
            // A regular connection (pg_rewind reads files through SQL functions), never with the password on the command line.
            ConnectionInfo source = pass.AddTo(plan.UpstreamConninfo.WithoutPassword().Without("target_session_attrs"));
            context.Reporter.Verbose($"Rewinding {plan.Node.Name} on {transport.Description}: {binDir}/pg_rewind -D '{dir}' --source-server='{plan.UpstreamConninfo.ToDisplayString()}'.");
            context.Reporter.Progress($"Rejoining {plan.Node.Name}", "pg_rewind", 10);
            try
            {
                // Bounded like the other waits of this command; pg_rewind copies only the blocks that changed.
                result = await transport.RunAsync(binDir + "/pg_rewind", ["-D", dir, "--source-server=" + source.ToKeywordValueString(), "--progress"],
                    new CommandOptions { Timeout = plan.Wait + QuickCommandTimeout }, ct).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                result = new CommandResult(-1, string.Empty, ex.Message, TimeSpan.Zero);
            }
            finally
            {
                // Put the node's files back even when pg_rewind failed half-way: whatever happens next (a
                // second try, a clone) must not start this directory with the upstream's address.
                foreach (var (file, content) in saved)
                {
                    await transport.WriteFileAsync($"{dir}/{file}", content, ct).ConfigureAwait(false);
                }
                context.Reporter.Progress($"Rejoining {plan.Node.Name}", "pg_rewind done", 100);
            }
        }
        if (!result.Succeeded)
        {
            throw new PgHaException(PgHaErrorIds.RejoinRewindFailed, plan.Node.Name,
                $"pg_rewind of {plan.Node.Name} from {plan.Upstream.Name} failed with exit code {result.ExitCode}: {Tail(result.StandardError)} " +
                $"Its data directory may be only partly rewound: do not start it as it is. Fix the cause and run Invoke-PgHaRejoin -ForceRewind again, or clone it: New-PgHaStandby -Name {plan.Node.Name} -Force -Start -Register.");
        }
        if ((result.StandardOutput + result.StandardError).Contains("no rewind required", StringComparison.Ordinal))
        {
            // pg_rewind judged from the source's pg_control that nothing diverged, against what the timeline
            // history showed: starting the node now would stop at the fork. Refuse rather than start it.
            throw new PgHaException(PgHaErrorIds.RejoinRewindFailed, plan.Node.Name,
                $"pg_rewind of {plan.Node.Name} found nothing to rewind, but {plan.Verdict.Reason} The source's pg_control may not show its new timeline yet: " +
                $"run CHECKPOINT on {plan.Upstream.Name} and Invoke-PgHaRejoin -ForceRewind again.");
        }
        context.Reporter.Verbose($"pg_rewind finished; {plan.Node.Name}'s own configuration files are back in place.");
    }

    /// <summary>
    /// A failed rejoin is an event too (successful = false), so Get-PgHaEvent shows what was tried; when
    /// the metadata cannot be written either, the original error is the one that matters.
    /// </summary>
    private static async Task RecordFailureAsync(OperationContext context, RejoinPlan plan, PgHaException failure)
    {
        string details = $"{plan.Node.Name} did not rejoin {plan.Upstream.Name} by {plan.Verdict.Method.ToString().ToLowerInvariant()} ({failure.ErrorId}): {failure.Message}";
        try
        {
            await RoleChanges.RecordAsync(context, plan.PrimaryConninfo, [], [(plan.Node, EventName, false, details)]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            context.Reporter.Warning($"The failed rejoin could not be recorded as an event: {ex.Message}");
        }
    }

    /// <summary>
    /// A just-promoted server writes its new timeline into pg_control only at its first checkpoint, and
    /// pg_rewind reads the source's timeline from there: without this it would report "no rewind required"
    /// and leave the diverged WAL in place (repmgr issues the same CHECKPOINT).
    /// </summary>
    private static async Task CheckpointSourceAsync(OperationContext context, RejoinPlan plan)
    {
        context.Reporter.Verbose($"CHECKPOINT on {plan.Upstream.Name}, so its pg_control shows timeline {plan.UpstreamTimeline} to pg_rewind.");
        await using var connection = await NodeConnector.OpenAsync(context, plan.UpstreamConninfo, NodeConnector.MetadataDatabaseOf(plan.UpstreamConninfo)).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("CHECKPOINT", connection) { CommandTimeout = (int)plan.Wait.TotalSeconds + 5 };
        await cmd.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> ReadControlDataAsync(OperationContext context, INodeTransport transport, string binDir, NodeHost host)
    {
        context.Reporter.Verbose($"Reading {host.Name}'s pg_control: pg_controldata -D '{host.DataDirectory}' ({transport.Description}).");
        // LC_ALL=C: a translated pg_controldata would defeat the parsers.
        CommandResult result = await transport.RunAsync("env", ["LC_ALL=C", binDir + "/pg_controldata", "-D", host.DataDirectory],
            new CommandOptions { Timeout = QuickCommandTimeout }, context.CancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new PgHaException(PgHaErrorIds.RejoinControlDataUnreadable, host.Name,
                $"pg_controldata cannot read {host.Name}'s data directory '{host.DataDirectory}': {result.StandardError.Trim()} The rejoin cannot be decided; clone it again with New-PgHaStandby -Force.");
        }
        return result.StandardOutput;
    }

    /// <summary>
    /// The history of the newest timeline a stopped node has a history file for in its pg_wal: the last
    /// timeline it reached, which its pg_control names only after a checkpoint there. Null on timeline 1
    /// (no history files); an unreadable one is a refusal, as the upstream's would be.
    /// </summary>
    private static async Task<TimelineHistory?> ReadNewestHistoryAsync(OperationContext context, INodeTransport transport, NodeHost host)
    {
        CancellationToken ct = context.CancellationToken;
        string walDir = host.DataDirectory.TrimEnd('/') + "/pg_wal";
        CommandResult list = await transport.RunAsync("find", [walDir + "/", "-maxdepth", "1", "-name", "*.history"],
            new CommandOptions { Timeout = QuickCommandTimeout }, ct).ConfigureAwait(false);
        int newest = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(path => path[(path.LastIndexOf('/') + 1)..])
            .Select(file => file.Length == 16 && int.TryParse(file.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int timeline) ? timeline : 0)
            .DefaultIfEmpty(0).Max();
        if (newest <= 1)
        {
            return null;
        }
        string file = $"{walDir}/{newest:X8}.history";
        string text = await transport.ReadFileAsync(file, ct).ConfigureAwait(false)
            ?? throw new PgHaException(PgHaErrorIds.TimelineHistoryUnreadable, host.Name, $"{host.Name}'s history file {file} vanished while it was read; run the rejoin again.");
        try
        {
            return TimelineHistory.Parse(newest, text);
        }
        catch (FormatException ex)
        {
            throw new PgHaException(PgHaErrorIds.TimelineHistoryUnreadable, host.Name, $"{host.Name}'s history file {file} was not understood: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Whether the node and the upstream wrote different first WAL records on the node's newest timeline
    /// (<see cref="TimelineStart"/>): the same number and the same history, made by two promotions. False
    /// when either side cannot say (no such segment any more, no right to read it): the decision then rests
    /// on the history files and pg_control alone, as before.
    /// </summary>
    private static async Task<bool> TimelineStartDiffersAsync(OperationContext context, NodeHost host, string upstreamName, ConnectionInfo upstreamConninfo, TimelineHistory own)
    {
        if (own.Start is not { } start)
        {
            return false;
        }
        CancellationToken ct = context.CancellationToken;
        string? onUpstream;
        long segmentSize;
        try
        {
            await using var connection = await NodeConnector.OpenAsync(context, upstreamConninfo, NodeConnector.MetadataDatabaseOf(upstreamConninfo)).ConfigureAwait(false);
            segmentSize = await TimelineStart.SegmentSizeAsync(connection, ct).ConfigureAwait(false);
            onUpstream = await TimelineStart.ReadOnServerAsync(connection, own.Timeline, start.At, ct).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            context.Reporter.Verbose($"{upstreamName}'s first WAL bytes of timeline {own.Timeline} cannot be read ({ex.SqlState}: {ex.MessageText}); the rejoin is decided from the history files.");
            return false;
        }
        if (onUpstream is null)
        {
            return false;
        }
        await using INodeTransport transport = await host.OpenAsync(context).ConfigureAwait(false);
        string? onNode = await TimelineStart.ReadOnDiskAsync(transport, host.DataDirectory, own.Timeline, start.At, segmentSize, ct).ConfigureAwait(false);
        bool differs = TimelineStart.Differs(onNode, onUpstream);
        context.Reporter.Verbose($"The first WAL bytes of timeline {own.Timeline} at {start.At}: {(onNode is null ? $"none on {host.Name}" : differs ? $"{host.Name}'s differ from {upstreamName}'s" : "the same on both")}.");
        return differs;
    }

    private static async Task<TimelineHistory> ReadHistoryAsync(OperationContext context, string upstreamName, ConnectionInfo upstream, int timeline)
    {
        if (timeline <= 1)
        {
            return TimelineHistory.First;
        }
        await using var connection = await NodeConnector.OpenAsync(context, upstream, NodeConnector.MetadataDatabaseOf(upstream)).ConfigureAwait(false);
        return await TimelineHistoryReader.ReadAsync(context, upstreamName, connection, timeline).ConfigureAwait(false);
    }

    /// <summary>
    /// The data directories of the upstream and of the current primary (they differ for a cascading
    /// -Upstream) that live on the node's host (the same SSH host, or both on this machine): the guard keeps
    /// them even when they are stopped.
    /// </summary>
    private static string[] UpstreamDirectoriesOnHost(NodeRecord node, NodeRecord upstream, NodeRecord? primary = null) =>
        new[] { upstream, primary }.OfType<NodeRecord>()
            .Where(other => other.Id != node.Id && other.DataDirectory is not null && (string.IsNullOrEmpty(node.SshHost)
                ? string.IsNullOrEmpty(other.SshHost)
                : string.Equals(node.SshHost, other.SshHost, StringComparison.OrdinalIgnoreCase)))
            .Select(other => other.DataDirectory!).Distinct(StringComparer.Ordinal).ToArray();

    private static string Tail(string text)
    {
        string[] lines = text.Trim().Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 10)));
    }
}
