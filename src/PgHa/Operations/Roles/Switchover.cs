using System.Diagnostics;
using System.Management.Automation;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Metadata;
using PgHa.Operations.Host;
using PgHa.Operations.Service;
using PgHa.Sql;
using PgHa.Transport;

namespace PgHa.Operations.Roles;

/// <summary>
/// Invoke-PgHaSwitchover's engine (repmgr standby switchover), with proof that nothing is lost: the old
/// primary is shut down cleanly, its shutdown checkpoint LSN is read from pg_control, and the candidate
/// is promoted only once it has received and replayed past that LSN. If that proof fails the candidate is
/// not promoted and the old primary is started again. Then the old primary rejoins as a standby (no
/// rewind is needed after a clean shutdown) and the other standbys follow the new primary.
/// </summary>
internal static class Switchover
{
    private const string Activity = "Invoke-PgHaSwitchover";

    public static async Task<SwitchoverPlan> PlanAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, string candidateName, SwitchoverOptions options)
    {
        context.Reporter.Progress(Activity, $"Checking the cluster for a switchover to {candidateName}", 0);
        PgHaCluster cluster = await ClusterStatusReader.ReadAsync(context, entryPoints).ConfigureAwait(false);
        PgHaNode primaryNode = cluster.Nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active)
            ?? throw Fail("PgHaSwitchoverNoPrimary", ErrorCategory.ObjectNotFound, candidateName, "No active primary is registered. Register the primary first.");
        if (primaryNode.Status != PgHaNodeStatus.Running)
        {
            throw Fail("PgHaSwitchoverNoPrimary", ErrorCategory.ConnectionError, primaryNode.Name,
                $"The registered primary {primaryNode.Name} is not running as a primary ({primaryNode.Status}{(primaryNode.Error is null ? string.Empty : ": " + primaryNode.Error)}). A switchover needs a live primary; with the primary gone, use Invoke-PgHaPromote.");
        }
        var (records, _) = await MetadataReader.ReadNodesAsync(context, [ConnectionInfo.Parse(primaryNode.Conninfo)]).ConfigureAwait(false);
        NodeRecord oldPrimary = records.Single(n => n.Id == primaryNode.Id);
        PgHaNode candidateNode = cluster.Nodes.FirstOrDefault(n => string.Equals(n.Name, candidateName, StringComparison.OrdinalIgnoreCase))
            ?? throw Fail("PgHaNodeNotFound", ErrorCategory.ObjectNotFound, candidateName, $"No node named '{candidateName}' is registered. Get-PgHaNode lists them.");
        NodeRecord candidate = records.Single(n => n.Id == candidateNode.Id);
        var plan = new SwitchoverPlan(oldPrimary, ConnectionInfo.Parse(oldPrimary.Conninfo), HostOf(oldPrimary), candidate, ConnectionInfo.Parse(candidate.Conninfo),
            HostOf(candidate), [], records, options);
        if (plan.AlreadyPrimary)
        {
            return plan;
        }

        if (candidate.Role != PgHaRole.Standby || candidateNode.Status != PgHaNodeStatus.Running || candidateNode.InRecovery != true)
        {
            throw Fail("PgHaSwitchoverCandidateNotStandby", ErrorCategory.InvalidOperation, candidateName,
                $"{candidateName} is not a running standby ({candidate.Role}, {candidateNode.Status}). Only a streaming standby of the primary can take over.");
        }
        if (candidate.UpstreamId != oldPrimary.Id || candidateNode.AttachedToUpstream != true)
        {
            throw Fail("PgHaSwitchoverCandidateNotAttached", ErrorCategory.InvalidOperation, candidateName,
                $"{candidateName} does not stream from the primary {oldPrimary.Name} (it streams from {candidateNode.StreamingFrom ?? "nothing"}). Make it follow {oldPrimary.Name} first (Invoke-PgHaFollow).");
        }
        if (candidateNode.ReplayLagBytes is long lag && lag > options.MaxLagBytes)
        {
            throw Fail("PgHaSwitchoverStandbyLagging", ErrorCategory.InvalidOperation, candidateName,
                $"{candidateName} is {lag} bytes of WAL behind {oldPrimary.Name} (limit -MaxLagBytes {options.MaxLagBytes}). Wait for it to catch up, or raise the limit: the write outage grows with the lag.");
        }
        if (oldPrimary.DataDirectory is null)
        {
            throw Fail("PgHaDataDirectoryUnknown", ErrorCategory.InvalidArgument, oldPrimary.Name,
                $"The record of {oldPrimary.Name} has no data directory, so it cannot be stopped and rejoined. Register it again with -DataDirectory (and -Force).");
        }

        // Both hosts must be reachable before anything is stopped (SSH host keys checked here too).
        await using (INodeTransport oldHost = await plan.OldPrimaryHost.OpenAsync(context).ConfigureAwait(false))
        {
            await PgBinDirectory.ResolveAsync(oldHost, oldPrimary.PgBinDir, oldPrimary.DataDirectory, context.CancellationToken).ConfigureAwait(false);
        }
        if (candidate.DataDirectory is not null)
        {
            await using INodeTransport candidateHost = await plan.CandidateHost.OpenAsync(context).ConfigureAwait(false);
        }

        var siblings = options.SiblingsFollow
            ? records.Where(n => n.Active && n.Role == PgHaRole.Standby && n.UpstreamId == oldPrimary.Id && n.Id != candidate.Id).ToList()
            : [];
        await CheckServersAsync(context, plan, siblings.Count).ConfigureAwait(false);
        context.Reporter.Progress(Activity, "Checks done", 100);
        return plan with { Siblings = siblings };
    }

    public static async Task<PgHaSwitchover> ApplyAsync(OperationContext context, SwitchoverPlan plan)
    {
        var total = Stopwatch.StartNew();
        var steps = new List<PgHaSwitchoverStep>();
        var step = Stopwatch.StartNew();
        void Done(string name)
        {
            steps.Add(new PgHaSwitchoverStep { Name = name, Duration = step.Elapsed });
            context.Reporter.Verbose($"{name}: {step.Elapsed.TotalSeconds:0.000} s.");
            step.Restart();
        }
        if (plan.AlreadyPrimary)
        {
            return new PgHaSwitchover { OldPrimary = plan.OldPrimary.Name, NewPrimary = plan.Candidate.Name, Changed = false };
        }

        NodeRecord oldPrimary = plan.OldPrimary;
        NodeRecord candidate = plan.Candidate;
        SwitchoverOptions options = plan.Options;
        await using RoleChangeLock held = await RoleChangeLock.TakeAsync(context, oldPrimary.Name, plan.OldPrimaryConninfo).ConfigureAwait(false);
        // Checked again under the lock: a role change that ended since the checks may have moved the roles.
        NodeProbeResult primaryNow = await NodeProbe.ProbeAsync(context, plan.OldPrimaryConninfo).ConfigureAwait(false);
        NodeProbeResult candidateNow = await NodeProbe.ProbeAsync(context, plan.CandidateConninfo).ConfigureAwait(false);
        if (primaryNow.InRecovery || !candidateNow.InRecovery || candidateNow.ReceiverStatus != "streaming"
            || !NodeEndpoint.Of(plan.OldPrimaryConninfo).Matches(candidateNow.SenderHost, candidateNow.SenderPort))
        {
            throw Fail("PgHaRoleChangeInProgress", ErrorCategory.ResourceBusy, candidate.Name,
                $"The roles changed since the checks ({oldPrimary.Name} in recovery: {primaryNow.InRecovery}; {candidate.Name} streaming from {candidateNow.SenderHost}:{candidateNow.SenderPort}): another role change ran meanwhile. Look at Get-PgHaCluster and try again.");
        }
        Done("take the role-change lock");

        // A checkpoint now leaves little for the shutdown checkpoint to write: a shorter outage.
        context.Reporter.Progress(Activity, $"Checkpoint on {oldPrimary.Name}", 5);
        await ExecuteAsync(context, plan.OldPrimaryConninfo, "CHECKPOINT").ConfigureAwait(false);
        Done("checkpoint the old primary");

        // From here until the promotion no write can be made anywhere.
        var outage = Stopwatch.StartNew();
        context.Reporter.Progress(Activity, $"Stopping {oldPrimary.Name}", 15);
        try
        {
            await NodeService.StopAsync(context, plan.OldPrimaryHost, PgHaStopMode.Fast, options.StopWait).ConfigureAwait(false);
        }
        catch (PgHaException ex)
        {
            // It may still have gone down after the deadline: then it is started again, so a primary runs.
            string restart = await AbortAsync(context, plan, $"{oldPrimary.Name} could not be stopped: {ex.Message}", onlyIfStopped: true).ConfigureAwait(false);
            throw Fail("PgHaSwitchoverStopFailed", ErrorCategory.InvalidOperation, oldPrimary.Name,
                $"{oldPrimary.Name} could not be stopped, so nothing was promoted: {ex.Message}{restart}");
        }
        Done("stop the old primary");

        // The proof: every WAL byte of the old primary, up to and including its shutdown checkpoint, is on the candidate.
        PgControlData control = await ReadControlDataAsync(context, plan.OldPrimaryHost).ConfigureAwait(false);
        if (control.ClusterState != "shut down" || control.CheckpointLsn is not PgHaLsn handedOver)
        {
            string restart = await AbortAsync(context, plan, $"{oldPrimary.Name} was not shut down cleanly (pg_control says '{control.ClusterState}'), so its last WAL position cannot be proven", onlyIfStopped: false).ConfigureAwait(false);
            throw Fail("PgHaSwitchoverUnproven", ErrorCategory.InvalidResult, oldPrimary.Name,
                $"{oldPrimary.Name} did not shut down cleanly ('{control.ClusterState}'); nothing was promoted.{restart}");
        }
        context.Reporter.Progress(Activity, $"Waiting for {candidate.Name} to replay past {handedOver}", 35);
        if (!await WaitForReplayPastAsync(context, plan.CandidateConninfo, handedOver, options.CatchUpWait).ConfigureAwait(false))
        {
            string restart = await AbortAsync(context, plan, $"{candidate.Name} did not receive and replay past the shutdown checkpoint {handedOver} within {options.CatchUpWait.TotalSeconds:0} s", onlyIfStopped: false).ConfigureAwait(false);
            throw Fail("PgHaSwitchoverCandidateBehind", ErrorCategory.OperationTimeout, candidate.Name,
                $"{candidate.Name} did not reach the old primary's shutdown checkpoint {handedOver} within {options.CatchUpWait.TotalSeconds:0} s, so it was not promoted.{restart}");
        }
        Done($"prove {candidate.Name} has all WAL up to {handedOver}");

        context.Reporter.Progress(Activity, $"Promoting {candidate.Name}", 50);
        int timeline;
        try
        {
            timeline = await RoleChanges.PromoteAsync(context, candidate.Name, plan.CandidateConninfo, options.PromoteWait).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException or TimeoutException)
        {
            // Not rolled back: a promotion that was asked for may still complete, and starting the old
            // primary again could then give two primaries. The operator decides.
            throw Fail("PgHaSwitchoverPromoteFailed", ErrorCategory.InvalidResult, candidate.Name,
                $"{candidate.Name} was asked to promote but did not confirm it ({ex.Message}). {oldPrimary.Name} is stopped and is NOT restarted, to avoid two primaries: check {candidate.Name} (Get-PgHaCluster); if it is a primary, rejoin {oldPrimary.Name} (Invoke-PgHaRejoin); if not, start {oldPrimary.Name} again.");
        }
        TimeSpan writeUnavailable = outage.Elapsed;
        Done($"promote {candidate.Name}");

        // The old primary stopped cleanly at a point the new timeline contains: it follows without a rewind.
        var following = new List<string>();
        var changed = new List<NodeRecord>
        {
            candidate with { Role = PgHaRole.Primary, UpstreamId = null, Active = true },
        };
        var events = new List<(NodeRecord, string, bool, string)>
        {
            (candidate, "standby_switchover", true, $"{candidate.Name} promoted to primary on timeline {timeline}, taking over from {oldPrimary.Name} at {handedOver}; writes were impossible for {writeUnavailable.TotalSeconds:0.000} s"),
        };
        context.Reporter.Progress(Activity, $"{oldPrimary.Name} rejoins as a standby of {candidate.Name}", 65);
        try
        {
            // No slot: slots live on an upstream, and the new primary holds none yet (noted for the slot work).
            await RoleChanges.PointAtUpstreamAsync(context, plan.OldPrimaryHost, plan.OldPrimaryConninfo, plan.CandidateConninfo, null, reload: false).ConfigureAwait(false);
            await NodeService.StartAsync(context, plan.OldPrimaryHost, null, options.StopWait).ConfigureAwait(false);
            await RoleChanges.WaitForStreamingFromAsync(context, oldPrimary.Name, plan.OldPrimaryConninfo, plan.CandidateConninfo, options.FollowWait, timeline).ConfigureAwait(false);
            changed.Add(oldPrimary with { Role = PgHaRole.Standby, UpstreamId = candidate.Id, Active = true });
            events.Add((oldPrimary, "node_rejoin", true, $"{oldPrimary.Name} rejoined as a standby of {candidate.Name} after a clean shutdown (no rewind)"));
            following.Add(oldPrimary.Name);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException or IOException or TimeoutException)
        {
            context.Reporter.Warning($"{oldPrimary.Name} did not rejoin as a standby: {ex.Message} Rejoin it with Invoke-PgHaRejoin.");
            changed.Add(oldPrimary with { Role = PgHaRole.Standby, UpstreamId = candidate.Id, Active = false });
            events.Add((oldPrimary, "node_rejoin", false, ex.Message));
        }
        Done($"rejoin {oldPrimary.Name}");
        await SwapSynchronousStandbyAsync(context, plan, oldPrimaryRejoined: following.Contains(oldPrimary.Name)).ConfigureAwait(false);

        foreach (NodeRecord sibling in plan.Siblings)
        {
            context.Reporter.Progress(Activity, $"{sibling.Name} follows {candidate.Name}", 80);
            try
            {
                ConnectionInfo siblingConninfo = ConnectionInfo.Parse(sibling.Conninfo);
                await RoleChanges.PointAtUpstreamAsync(context, HostOf(sibling), siblingConninfo, plan.CandidateConninfo, null, reload: true).ConfigureAwait(false);
                await RoleChanges.WaitForStreamingFromAsync(context, sibling.Name, siblingConninfo, plan.CandidateConninfo, options.FollowWait, timeline).ConfigureAwait(false);
                changed.Add(sibling with { UpstreamId = candidate.Id });
                events.Add((sibling, "standby_follow", true, $"{sibling.Name} follows the new primary {candidate.Name}"));
                following.Add(sibling.Name);
            }
            catch (Exception ex) when (ex is PgHaException or NpgsqlException or IOException or TimeoutException)
            {
                context.Reporter.Warning($"{sibling.Name} did not follow {candidate.Name}: {ex.Message} Use Invoke-PgHaFollow.");
                events.Add((sibling, "standby_follow", false, ex.Message));
            }
        }
        if (plan.Siblings.Count > 0)
        {
            Done("siblings follow");
        }

        await RoleChanges.RecordAsync(context, plan.CandidateConninfo, changed, events).ConfigureAwait(false);
        Done("record the new roles");
        context.Reporter.Progress(Activity, "done", 100);

        return new PgHaSwitchover
        {
            OldPrimary = oldPrimary.Name,
            NewPrimary = candidate.Name,
            HandedOverLsn = handedOver.ToString(),
            Timeline = timeline,
            WriteUnavailable = writeUnavailable,
            Duration = total.Elapsed,
            Steps = [.. steps],
            Following = [.. following],
            Changed = true,
        };
    }

    /// <summary>
    /// Lenient on purpose: a candidate or sibling without a recorded data directory can still be switched to
    /// or pointed elsewhere over SQL; the old primary's directory, which is needed, is checked in the plan.
    /// </summary>
    private static NodeHost HostOf(NodeRecord node) =>
        new(node.Name, node.DataDirectory ?? string.Empty, node.PgBinDir, node.SshHost, node.SshPort, node.SshUser);

    private static PgHaException Fail(string errorId, ErrorCategory category, object target, string message) => new(errorId, category, target, message);

    /// <summary>Free walsenders on the candidate for the old primary and the siblings; archive backlog on the primary.</summary>
    private static async Task CheckServersAsync(OperationContext context, SwitchoverPlan plan, int siblingCount)
    {
        CancellationToken ct = context.CancellationToken;
        await using (var candidate = await NodeConnector.OpenAsync(context, plan.CandidateConninfo, NodeConnector.MetadataDatabaseOf(plan.CandidateConninfo)).ConfigureAwait(false))
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT current_setting('max_wal_senders')::integer - (SELECT count(*) FROM pg_stat_replication)::integer, current_setting('wal_log_hints') = 'on' OR current_setting('data_checksums') = 'on'",
                candidate);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            int free = reader.GetInt32(0);
            if (free < 1 + siblingCount)
            {
                throw Fail("PgHaSwitchoverWalSenders", ErrorCategory.LimitsExceeded, plan.Candidate.Name,
                    $"{plan.Candidate.Name} has {free} free walsenders (max_wal_senders) but {1 + siblingCount} nodes would stream from it. Raise max_wal_senders there (restart needed).");
            }
            if (!reader.GetBoolean(1))
            {
                context.Reporter.Warning($"{plan.Candidate.Name} has neither wal_log_hints nor checksums on: should a node diverge later, pg_rewind will not be possible.");
            }
        }
        await using var primary = await NodeConnector.OpenAsync(context, plan.OldPrimaryConninfo, NodeConnector.MetadataDatabaseOf(plan.OldPrimaryConninfo)).ConfigureAwait(false);
        await using var archive = new NpgsqlCommand(
            "SELECT current_setting('archive_mode') <> 'off', (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')::integer", primary);
        await using var archiveReader = await archive.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await archiveReader.ReadAsync(ct).ConfigureAwait(false);
        if (archiveReader.GetBoolean(0) && archiveReader.GetInt32(1) > plan.Options.MaxArchiveReady)
        {
            throw Fail("PgHaSwitchoverArchiveBacklog", ErrorCategory.LimitsExceeded, plan.OldPrimary.Name,
                $"{plan.OldPrimary.Name} has {archiveReader.GetInt32(1)} WAL files waiting to be archived (limit -MaxArchiveReady {plan.Options.MaxArchiveReady}). Fix archive_command first: after the switchover they would be archived by nobody.");
        }
    }

    private static async Task ExecuteAsync(OperationContext context, ConnectionInfo conninfo, string sql)
    {
        await using var connection = await NodeConnector.OpenAsync(context, conninfo, NodeConnector.MetadataDatabaseOf(conninfo)).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        await cmd.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
    }

    private static async Task<PgControlData> ReadControlDataAsync(OperationContext context, NodeHost node)
    {
        NodeRunState state = await NodeService.GetStateAsync(context, node).ConfigureAwait(false);
        return state.ControlData ?? throw Fail("PgHaSwitchoverUnproven", ErrorCategory.InvalidResult, node.Name,
            $"pg_controldata of {node.Name} could not be read, so its last WAL position cannot be proven.");
    }

    /// <summary>Replay past the checkpoint record means the record itself was received and applied.</summary>
    private static async Task<bool> WaitForReplayPastAsync(OperationContext context, ConnectionInfo candidate, PgHaLsn checkpoint, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                NodeProbeResult probe = await NodeProbe.ProbeAsync(context, candidate).ConfigureAwait(false);
                if (probe.ReceiveLsn > checkpoint && probe.ReplayLsn > checkpoint)
                {
                    return true;
                }
            }
            catch (PgHaException ex)
            {
                context.Reporter.Verbose($"Waiting for the candidate: {ex.Message}");
            }
            if (clock.Elapsed >= wait)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Nothing was promoted: start the old primary again so the cluster is as it was, and record why.
    /// Returns a sentence for the error message saying whether the old primary runs again.
    /// </summary>
    private static async Task<string> AbortAsync(OperationContext context, SwitchoverPlan plan, string reason, bool onlyIfStopped)
    {
        string name = plan.OldPrimary.Name;
        try
        {
            if (onlyIfStopped && (await NodeService.GetStateAsync(context, plan.OldPrimaryHost).ConfigureAwait(false)).IsRunning)
            {
                await RecordFailureAsync(context, plan.OldPrimaryConninfo, plan, reason).ConfigureAwait(false);
                return $" {name} still runs as the primary.";
            }
            context.Reporter.Warning($"Switchover aborted: {reason}. Starting {name} again.");
            await NodeService.StartAsync(context, plan.OldPrimaryHost, null, plan.Options.StopWait).ConfigureAwait(false);
            await RecordFailureAsync(context, plan.OldPrimaryConninfo, plan, reason).ConfigureAwait(false);
            return $" {name} was started again and is the primary.";
        }
        catch (PgHaException ex)
        {
            return $" Starting {name} again FAILED ({ex.Message}): no primary runs now. Start it with Start-PgHaNode.";
        }
    }

    private static async Task RecordFailureAsync(OperationContext context, ConnectionInfo primary, SwitchoverPlan plan, string reason)
    {
        try
        {
            await RoleChanges.RecordAsync(context, primary, [], [(plan.Candidate, "standby_switchover", false, reason)]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            context.Reporter.Warning($"The failed switchover could not be recorded as an event: {ex.Message}");
        }
    }

    /// <summary>
    /// synchronous_standby_names naming the new primary would make every commit on it wait for a standby
    /// that no longer exists: the new primary names the old one instead, once that one streams from it.
    /// </summary>
    private static async Task SwapSynchronousStandbyAsync(OperationContext context, SwitchoverPlan plan, bool oldPrimaryRejoined)
    {
        try
        {
            await SwapSynchronousStandbyCoreAsync(context, plan, oldPrimaryRejoined).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            context.Reporter.Warning($"synchronous_standby_names on {plan.Candidate.Name} could not be checked or rewritten ({ex.Message}); if it names {plan.Candidate.Name}, commits there wait: set it with ALTER SYSTEM.");
        }
    }

    private static async Task SwapSynchronousStandbyCoreAsync(OperationContext context, SwitchoverPlan plan, bool oldPrimaryRejoined)
    {
        await using var connection = await NodeConnector.OpenAsync(context, plan.CandidateConninfo, NodeConnector.MetadataDatabaseOf(plan.CandidateConninfo)).ConfigureAwait(false);
        await using var read = new NpgsqlCommand("SELECT current_setting('synchronous_standby_names')", connection);
        string names = (string)(await read.ExecuteScalarAsync(context.CancellationToken).ConfigureAwait(false))!;
        string swapped = SynchronousStandbyNames.Replace(names, plan.Candidate.Name, plan.OldPrimary.Name);
        if (swapped == names)
        {
            return;
        }
        if (!oldPrimaryRejoined)
        {
            // Naming a standby that does not stream would hang every commit: run asynchronously, say so.
            swapped = string.Empty;
            context.Reporter.Warning($"synchronous_standby_names on {plan.Candidate.Name} named itself and {plan.OldPrimary.Name} did not rejoin: it is cleared, so commits do not wait for a synchronous standby until you set it again.");
        }
        context.Reporter.Verbose($"synchronous_standby_names on {plan.Candidate.Name}: '{names}' -> '{swapped}'.");
        await using (var conforming = new NpgsqlCommand("SET standard_conforming_strings = on", connection))
        {
            await conforming.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
        }
        await using var alter = new NpgsqlCommand("ALTER SYSTEM SET synchronous_standby_names = " + SqlLiteral.Quote(swapped), connection);
        await alter.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
    }
}
