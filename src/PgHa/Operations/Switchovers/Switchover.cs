using System.Data;
using System.Diagnostics;
using Npgsql;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Host;
using PgHa.Operations.Roles;
using PgHa.Operations.Service;
using PgHa.Sql;
using PgHa.Transport;

namespace PgHa.Operations.Switchovers;

/// <summary>
/// Invoke-PgHaSwitchover's engine (repmgr standby switchover), with proof that nothing is lost: the old
/// primary is shut down cleanly, its shutdown checkpoint LSN is read from pg_control, and the candidate
/// is promoted only once it has received and replayed past that LSN. If that proof fails the candidate is
/// not promoted and the old primary is started again. The new primary is recorded in the metadata (a new
/// term) as soon as it is promoted, so clients find it (its monitor's /primary, an event hook moving a VIP)
/// without waiting for the rest. Then the old primary rejoins as a standby through the
/// rejoin engine (Direct after a clean handover; pg_rewind only should it have written on, and only with
/// -ForceRewind), the other standbys follow the new primary through the follow engine, both streaming
/// through their registered slots on it, and the slots nobody uses any more are dropped from the old primary.
/// </summary>
internal static class Switchover
{
    private const string Activity = "Invoke-PgHaSwitchover";

    public static async Task<SwitchoverPlan> PlanAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, string candidateName, SwitchoverOptions options)
    {
        context.Reporter.Progress(Activity, $"Checking the cluster for a switchover to {candidateName}", 0);
        PgHaCluster cluster = await ClusterStatusReader.ReadAsync(context, entryPoints).ConfigureAwait(false);
        PgHaNode primaryNode = cluster.Nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active)
            ?? throw Fail(PgHaErrorIds.SwitchoverNoPrimary, candidateName, "No active primary is registered. Register the primary first.");
        if (primaryNode.Status != PgHaNodeStatus.Running)
        {
            throw Fail(PgHaErrorIds.SwitchoverNoPrimary, primaryNode.Name,
                $"The registered primary {primaryNode.Name} is not running as a primary ({primaryNode.Status}{(primaryNode.Error is null ? string.Empty : ": " + primaryNode.Error)}). A switchover needs a live primary; with the primary gone, use Invoke-PgHaPromote.");
        }
        var (records, _) = await MetadataReader.ReadNodesAsync(context, [RegisteredConninfo.Parse(primaryNode.Name, primaryNode.Conninfo)]).ConfigureAwait(false);
        NodeRecord oldPrimary = records.Single(n => n.Id == primaryNode.Id);
        PgHaNode candidateNode = NodeNames.Single(cluster.Nodes, n => n.Name, candidateName);
        NodeRecord candidate = records.Single(n => n.Id == candidateNode.Id);
        var plan = new SwitchoverPlan(oldPrimary, RegisteredConninfo.Parse(oldPrimary), HostOf(oldPrimary), candidate, RegisteredConninfo.Parse(candidate),
            HostOf(candidate), [], records, options);
        if (plan.AlreadyPrimary)
        {
            return plan;
        }

        if (candidate.Role != PgHaRole.Standby || candidateNode.Status != PgHaNodeStatus.Running || candidateNode.InRecovery != true)
        {
            throw Fail(PgHaErrorIds.SwitchoverCandidateNotStandby, candidateName,
                $"{candidateName} is not a running standby ({candidate.Role}, {candidateNode.Status}). Only a streaming standby of the primary can take over.");
        }
        if (candidate.UpstreamId != oldPrimary.Id || candidateNode.AttachedToUpstream != true)
        {
            throw Fail(PgHaErrorIds.SwitchoverCandidateNotAttached, candidateName,
                $"{candidateName} does not stream from the primary {oldPrimary.Name} (it streams from {candidateNode.StreamingFrom ?? "nothing"}). Make it follow {oldPrimary.Name} first (Invoke-PgHaFollow).");
        }
        if (candidateNode.ReplayLagBytes is long lag && lag > options.MaxLagBytes)
        {
            throw Fail(PgHaErrorIds.SwitchoverStandbyLagging, candidateName,
                $"{candidateName} is {lag} bytes of WAL behind {oldPrimary.Name} (limit -MaxLagBytes {options.MaxLagBytes}). Wait for it to catch up, or raise the limit: the write outage grows with the lag.");
        }
        if (oldPrimary.DataDirectory is null)
        {
            throw Fail(PgHaErrorIds.DataDirectoryUnknown, oldPrimary.Name,
                $"The record of {oldPrimary.Name} has no data directory, so it cannot be stopped and rejoined. Register it again with -DataDirectory (and -Force).");
        }

        var siblings = options.SiblingsFollow
            ? records.Where(n => n.Active && n.Role == PgHaRole.Standby && n.UpstreamId == oldPrimary.Id && n.Id != candidate.Id).ToList()
            : [];
        // Both hosts must be reachable before anything is stopped (SSH host keys checked here too). The two logins
        // (which the command keeps for its work) and the servers' checks run side by side; of several failures,
        // the first in this order is reported: the old primary's host, the candidate's, the servers.
        Task<string> binDir = OldPrimaryBinDirAsync(context, plan);
        Task candidateHost = candidate.DataDirectory is null ? Task.CompletedTask : ReachAsync(context, plan.CandidateHost);
        Task servers = CheckServersAsync(context, plan, siblings.Count);
        await Task.WhenAll(binDir, candidateHost, servers).ConfigureAwait(false);  // rethrows the first failure in that order
        context.Reporter.Progress(Activity, "Checks done", 100);
        return plan with { Siblings = siblings, OldPrimaryBinDir = await binDir.ConfigureAwait(false) };
    }

    private static async Task<string> OldPrimaryBinDirAsync(OperationContext context, SwitchoverPlan plan)
    {
        await using INodeTransport oldHost = await plan.OldPrimaryHost.OpenAsync(context).ConfigureAwait(false);
        return await PgBinDirectory.ResolveAsync(oldHost, plan.OldPrimary.PgBinDir, plan.OldPrimaryHost.DataDirectory, context.CancellationToken).ConfigureAwait(false);
    }

    private static async Task ReachAsync(OperationContext context, NodeHost host)
    {
        await using INodeTransport reached = await host.OpenAsync(context).ConfigureAwait(false);
    }

    public static async Task<SwitchoverOutcome> ApplyAsync(OperationContext context, SwitchoverPlan plan)
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
            return new SwitchoverOutcome(new PgHaSwitchover { OldPrimary = plan.OldPrimary.Name, NewPrimary = plan.Candidate.Name, Changed = false }, null);
        }

        NodeRecord oldPrimary = plan.OldPrimary;
        NodeRecord candidate = plan.Candidate;
        SwitchoverOptions options = plan.Options;
        await using RoleChangeLock held = await RoleChangeLock.TakeAsync(context, oldPrimary.Name, plan.OldPrimaryConninfo).ConfigureAwait(false);
        // Checked again under the lock: a role change that ended since the checks may have moved the roles.
        Task<NodeProbeResult> primaryProbe = NodeProbe.ProbeAsync(context, plan.OldPrimaryConninfo);
        Task<NodeProbeResult> candidateProbe = NodeProbe.ProbeAsync(context, plan.CandidateConninfo);
        await Task.WhenAll(primaryProbe, candidateProbe).ConfigureAwait(false);
        NodeProbeResult primaryNow = await primaryProbe.ConfigureAwait(false);
        NodeProbeResult candidateNow = await candidateProbe.ConfigureAwait(false);
        if (primaryNow.InRecovery || !candidateNow.InRecovery || candidateNow.ReceiverStatus != "streaming"
            || !NodeEndpoint.Of(plan.OldPrimaryConninfo).Matches(candidateNow.SenderHost, candidateNow.SenderPort))
        {
            throw Fail(PgHaErrorIds.RoleChangeInProgress, candidate.Name,
                $"The roles changed since the checks ({oldPrimary.Name} in recovery: {primaryNow.InRecovery}; {candidate.Name} streaming from {candidateNow.SenderHost}:{candidateNow.SenderPort}): another role change ran meanwhile. Look at Get-PgHaCluster and try again.");
        }
        Done("take the role-change lock");

        // Running monitors would take the old primary's stop for a failure: they are paused until the handover is
        // done. Meanwhile a checkpoint leaves little for the shutdown checkpoint to write (a shorter outage); it
        // changes no role, so it need not wait for the pause.
        context.Reporter.Progress(Activity, $"Pausing the monitors; checkpoint on {oldPrimary.Name}", 5);
        Task checkpoint = ExecuteAsync(context, plan.OldPrimaryConninfo, "CHECKPOINT");
        Task<Monitor.MonitorHold> pausing = Monitor.MonitorHold.TakeAsync(context, plan.AllNodes, plan.OldPrimaryConninfo);
        try
        {
            await Task.WhenAll(pausing, checkpoint).ConfigureAwait(false);
        }
        catch (Exception)
        {
            if (pausing.IsCompletedSuccessfully)
            {
                try
                {
                    await (await pausing.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);  // resumes the monitors
                }
                catch (Exception resume) when (resume is not OperationCanceledException)
                {
                    context.Reporter.Warning($"The monitors could not be resumed after the failure below ({resume.Message}): run Resume-PgHaMonitor.");
                }
            }
            throw;
        }
        await using Monitor.MonitorHold monitorsPaused = await pausing.ConfigureAwait(false);
        Done("pause the monitors; checkpoint the old primary");

        // Opened before the outage, so that neither a login to the old primary's host (SSH; the command's own,
        // made in the checks) nor a new connection to the candidate counts against the time no write can be made.
        await using INodeTransport oldPrimaryHost = await plan.OldPrimaryHost.OpenAsync(context).ConfigureAwait(false);
        await using NpgsqlConnection candidateSession = await NodeConnector.OpenAsync(context, plan.CandidateConninfo, NodeConnector.MetadataDatabaseOf(plan.CandidateConninfo)).ConfigureAwait(false);

        // From here until the promotion no write can be made anywhere. The server is known to run (the lock's
        // session is on it), so it is stopped without status checks, and pg_control is read in the same command.
        var outage = Stopwatch.StartNew();
        context.Reporter.Progress(Activity, $"Stopping {oldPrimary.Name}", 15);
        PgControlData? control;
        try
        {
            control = await NodeService.StopAndReadControlDataAsync(context, oldPrimaryHost, plan.OldPrimaryHost, plan.OldPrimaryBinDir, PgHaStopMode.Fast, options.StopWait).ConfigureAwait(false);
        }
        catch (PgHaException ex)
        {
            string restart = await AfterStopFailedAsync(context, plan, oldPrimaryHost, ex).ConfigureAwait(false);
            throw Fail(PgHaErrorIds.SwitchoverStopFailed, oldPrimary.Name,
                $"{oldPrimary.Name} could not be stopped, so nothing was promoted: {ex.Message}{restart}");
        }
        Done("stop the old primary");

        // The proof: every WAL byte of the old primary, up to and including its shutdown checkpoint, is on the candidate.
        if (control is not { ClusterState: "shut down", CheckpointLsn: PgHaLsn handedOver })
        {
            string state = control is null ? "pg_control could not be read" : $"pg_control says '{control.ClusterState}'";
            string restart = await AbortAsync(context, plan, $"{oldPrimary.Name} was not shut down cleanly ({state}), so its last WAL position cannot be proven", onlyIfStopped: false).ConfigureAwait(false);
            throw Fail(PgHaErrorIds.SwitchoverUnproven, oldPrimary.Name,
                $"{oldPrimary.Name} did not shut down cleanly ({state}); nothing was promoted.{restart}");
        }
        context.Reporter.Progress(Activity, $"Waiting for {candidate.Name} to replay past {handedOver}", 35);
        if (!await WaitForReplayPastAsync(context, candidateSession, plan.CandidateConninfo, handedOver, options.CatchUpWait).ConfigureAwait(false))
        {
            string restart = await AbortAsync(context, plan, $"{candidate.Name} did not receive and replay past the shutdown checkpoint {handedOver} within {options.CatchUpWait.TotalSeconds:0} s", onlyIfStopped: false).ConfigureAwait(false);
            throw Fail(PgHaErrorIds.SwitchoverCandidateBehind, candidate.Name,
                $"{candidate.Name} did not reach the old primary's shutdown checkpoint {handedOver} within {options.CatchUpWait.TotalSeconds:0} s, so it was not promoted.{restart}");
        }
        Done($"prove {candidate.Name} has all WAL up to {handedOver}");

        context.Reporter.Progress(Activity, $"Promoting {candidate.Name}", 50);
        int timeline;
        try
        {
            timeline = candidateSession.State == ConnectionState.Open
                ? await RoleChanges.PromoteAsync(context, candidate.Name, candidateSession, options.PromoteWait).ConfigureAwait(false)
                : await RoleChanges.PromoteAsync(context, candidate.Name, plan.CandidateConninfo, options.PromoteWait).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException or TimeoutException)
        {
            // Not rolled back: a promotion that was asked for may still complete, and starting the old
            // primary again could then give two primaries. The operator decides, with the monitors still paused.
            monitorsPaused.KeepPaused();
            throw Fail(PgHaErrorIds.SwitchoverPromoteFailed, candidate.Name,
                $"{candidate.Name} was asked to promote but did not confirm it ({ex.Message}). {oldPrimary.Name} is stopped and is NOT restarted, to avoid two primaries: check {candidate.Name} (Get-PgHaCluster); if it is a primary, rejoin {oldPrimary.Name} (Invoke-PgHaRejoin); if not, start {oldPrimary.Name} again.");
        }
        TimeSpan writeUnavailable = outage.Elapsed;
        monitorsPaused.PrimaryAfter = plan.CandidateConninfo;
        Done($"promote {candidate.Name}");

        // The new primary is recorded at once, in a new term, before the old primary rejoins: from this commit
        // its monitor answers /primary (HAProxy routes to it) and an event hook can move a VIP, while the rejoin
        // can take seconds, or fail. Until it has rejoined, the old primary is an inactive standby of the new
        // one: it does not run. These records commit with synchronous_commit = local: no standby streams from
        // the new primary yet, and one a synchronous_standby_names names may only be the old primary, rejoining.
        NodeRecord newPrimary = candidate with { Role = PgHaRole.Primary, UpstreamId = null, Active = true };
        NodeRecord oldPrimaryStopped = oldPrimary with { Role = PgHaRole.Standby, UpstreamId = newPrimary.Id, Active = false };
        OperationContext recording = context.WithLocalCommit();
        try
        {
            await RoleChanges.RecordAsync(recording, plan.CandidateConninfo, [oldPrimaryStopped, newPrimary],
            [
                (candidate, "standby_switchover", true, $"{candidate.Name} promoted to primary on timeline {timeline}, taking over from {oldPrimary.Name} at {handedOver}; writes were impossible for {writeUnavailable.TotalSeconds:0.000} s"),
            ]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            // The metadata still names the old primary: rejoining it now would leave a cluster whose records
            // contradict its servers, and resumed monitors would act on them. The operator finishes by hand.
            monitorsPaused.KeepPaused();
            throw Fail(PgHaErrorIds.SwitchoverRecordFailed, candidate.Name,
                $"{candidate.Name} was promoted (timeline {timeline}) and takes writes, but the metadata on it could not be updated ({ex.Message}). " +
                $"{oldPrimary.Name} is stopped and was NOT rejoined, and the monitors stay paused: record {candidate.Name} as the primary " +
                $"(Register-PgHaNode -Role Primary -Name {candidate.Name} -Force), rejoin {oldPrimary.Name} (Invoke-PgHaRejoin -Name {oldPrimary.Name}), then run Resume-PgHaMonitor.");
        }
        Done("record the new primary");

        var following = new List<string>();
        context.Reporter.Progress(Activity, $"{oldPrimary.Name} rejoins as a standby of {candidate.Name}", 65);
        RejoinOutcome rejoin = await RejoinOldPrimaryAsync(context, plan, newPrimary).ConfigureAwait(false);
        bool oldPrimaryRejoined = rejoin.Failure is null;
        if (oldPrimaryRejoined)
        {
            following.Add(oldPrimary.Name);
        }
        Done($"rejoin {oldPrimary.Name}");

        // Before anything else commits on the new primary: a synchronous_standby_names naming itself would hang the commit.
        await SwapSynchronousStandbyAsync(context, plan, oldPrimaryRejoined).ConfigureAwait(false);

        // The rejoin, or its failure, recorded: the old primary becomes an active standby, or stays inactive.
        try
        {
            await RoleChanges.RecordAsync(recording, plan.CandidateConninfo, oldPrimaryRejoined ? [rejoin.Record] : [], [rejoin.Event]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            context.Reporter.Warning(oldPrimaryRejoined
                ? $"{oldPrimary.Name} rejoined as a standby of {candidate.Name}, but that could not be recorded ({ex.Message}): it is recorded as an inactive standby. Invoke-PgHaRejoin -Name {oldPrimary.Name} records it (it finds it streaming and changes nothing else)."
                : $"The failed rejoin of {oldPrimary.Name} could not be recorded as an event: {ex.Message}");
        }
        Done($"record the rejoin of {oldPrimary.Name}");

        var followed = new List<NodeRecord>();
        foreach (NodeRecord sibling in plan.Siblings)
        {
            context.Reporter.Progress(Activity, $"{sibling.Name} follows {candidate.Name}", 80);
            if (await NodeFollow.FollowNewPrimaryAsync(context, sibling, newPrimary, plan.CandidateConninfo, options.FollowWait).ConfigureAwait(false) is not null)
            {
                followed.Add(sibling);
                following.Add(sibling.Name);
            }
        }
        if (plan.Siblings.Count > 0)
        {
            Done("siblings follow");
        }

        if (await DropUnusedSlotsAsync(context, plan, oldPrimaryRejoined, followed).ConfigureAwait(false))
        {
            Done($"drop unused slots on {oldPrimary.Name}");
        }
        context.Reporter.Progress(Activity, "done", 100);

        var result = new PgHaSwitchover
        {
            OldPrimary = oldPrimary.Name,
            NewPrimary = candidate.Name,
            HandedOverLsn = handedOver.ToString(),
            Timeline = timeline,
            WriteUnavailable = writeUnavailable,
            Duration = total.Elapsed,
            Steps = [.. steps],
            Following = [.. following],
            OldPrimaryRejoin = rejoin.Method,
            Changed = true,
        };
        return new SwitchoverOutcome(result, rejoin.Failure);
    }

    /// <summary>
    /// The old primary comes back through the rejoin engine, which decides from its pg_control and the new
    /// timeline's history: after the proven clean handover that is Direct; should it not be (something ran
    /// it again and it wrote on), pg_rewind runs only with -ForceRewind, and otherwise it stays stopped.
    /// Returns how it went, its record as an active standby, its node_rejoin event, and, when it did not
    /// rejoin, the error for the caller (the switchover itself has happened).
    /// </summary>
    private static async Task<RejoinOutcome> RejoinOldPrimaryAsync(OperationContext context, SwitchoverPlan plan, NodeRecord newPrimary)
    {
        NodeRecord oldPrimary = plan.OldPrimary;
        NodeRecord asStandby = oldPrimary with { Role = PgHaRole.Standby, UpstreamId = newPrimary.Id, Active = true };
        try
        {
            // Decided on the old primary as it is now, not as its stop left it: should anything have started
            // it meanwhile, that shows here (running, or WAL past the fork), never as a standby that cannot follow.
            RejoinPlan rejoin = await NodeRejoin.PlanAsync(context, oldPrimary, null, newPrimary, upstreamMustBePrimary: true, plan.CandidateConninfo,
                plan.Options.ForceRewind, plan.Options.FollowWait).ConfigureAwait(false);
            await NodeRejoin.PerformAsync(context, rejoin).ConfigureAwait(false);
            return new RejoinOutcome(rejoin.Verdict.Method.ToString(), asStandby, (oldPrimary, NodeRejoin.EventName, true, NodeRejoin.Details(rejoin)), null);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException or IOException or TimeoutException)
        {
            bool needsRewind = ex is PgHaException { ErrorId: PgHaErrorIds.RejoinNeedsRewind };
            string done = $"The switchover itself is done: {plan.Candidate.Name} is the primary, and the metadata says so. ";
            var failure = new PgHaException(PgHaErrorIds.SwitchoverRejoinFailed, oldPrimary.Name,
                needsRewind
                    ? $"{done}{oldPrimary.Name} did not rejoin and is left stopped, recorded as an inactive standby: it needs pg_rewind, which this switchover was not allowed to run (no -ForceRewind). {ex.Message} " +
                      $"Rejoin it with Invoke-PgHaRejoin -Name {oldPrimary.Name} -ForceRewind."
                    : $"{done}{oldPrimary.Name} did not rejoin as its standby and is recorded as an inactive standby: {ex.Message} " +
                      $"Fix that, then rejoin it with Invoke-PgHaRejoin -Name {oldPrimary.Name}.",
                ex);
            return new RejoinOutcome(needsRewind ? "NeedsRewind" : "Failed", asStandby with { Active = false }, (oldPrimary, NodeRejoin.EventName, false, ex.Message), failure);
        }
    }

    private sealed record RejoinOutcome(string Method, NodeRecord Record, (NodeRecord Node, string Event, bool Successful, string Details) Event, PgHaException? Failure);

    /// <summary>
    /// Slots on the old primary that nobody streams through any more would keep its WAL forever now that it
    /// is a standby: the candidate's, and those of the siblings that moved to the new primary (a sibling
    /// left behind still streams from the old primary through its slot). Returns whether there were any.
    /// </summary>
    private static async Task<bool> DropUnusedSlotsAsync(OperationContext context, SwitchoverPlan plan, bool oldPrimaryRejoined, IReadOnlyList<NodeRecord> followed)
    {
        List<string> slots = followed.Prepend(plan.Candidate).Select(n => n.SlotName).OfType<string>().ToList();
        if (slots.Count == 0)
        {
            return false;
        }
        string name = plan.OldPrimary.Name;
        string drop = string.Join("; ", slots.Select(slot => $"SELECT pg_drop_replication_slot('{slot}')"));
        if (!oldPrimaryRejoined)
        {
            context.Reporter.Warning($"Replication slot(s) {string.Join(", ", slots)} stay on {name}, which does not run, and will keep its WAL once it runs again: drop them after it rejoins ({drop}).");
            return true;
        }
        try
        {
            IReadOnlyList<string> left = await ReplicationSlots.DropUnusedAsync(context, name, plan.OldPrimaryConninfo, slots, plan.Options.FollowWait).ConfigureAwait(false);
            if (left.Count > 0)
            {
                context.Reporter.Warning($"Replication slot(s) {string.Join(", ", left)} on {name} are still in use after {plan.Options.FollowWait.TotalSeconds:0} s and were not dropped; drop them once unused, or they keep {name}'s WAL.");
            }
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            context.Reporter.Warning($"Replication slot(s) {string.Join(", ", slots)} could not be dropped from {name} ({ex.Message}); they keep its WAL until dropped ({drop}).");
        }
        return true;
    }

    /// <summary>
    /// Lenient on purpose: a candidate or sibling without a recorded data directory can still be switched to
    /// or pointed elsewhere over SQL; the old primary's directory, which is needed, is checked in the plan.
    /// </summary>
    private static NodeHost HostOf(NodeRecord node) =>
        new(node.Name, node.DataDirectory ?? string.Empty, node.PgBinDir, node.SshHost, node.SshPort, node.SshUser);

    private static PgHaException Fail(string errorId, object target, string message) => new(errorId, target, message);

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
                throw Fail(PgHaErrorIds.SwitchoverWalSenders, plan.Candidate.Name,
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
            throw Fail(PgHaErrorIds.SwitchoverArchiveBacklog, plan.OldPrimary.Name,
                $"{plan.OldPrimary.Name} has {archiveReader.GetInt32(1)} WAL files waiting to be archived (limit -MaxArchiveReady {plan.Options.MaxArchiveReady}). Fix archive_command first: after the switchover they would be archived by nobody.");
        }
    }

    private static async Task ExecuteAsync(OperationContext context, ConnectionInfo conninfo, string sql)
    {
        await using var connection = await NodeConnector.OpenAsync(context, conninfo, NodeConnector.MetadataDatabaseOf(conninfo)).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        await cmd.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Replay past the checkpoint record means the record itself was received and applied. Polled on the
    /// session opened before the outage; should that have broken, on a new connection per poll.
    /// </summary>
    private static async Task<bool> WaitForReplayPastAsync(OperationContext context, NpgsqlConnection session, ConnectionInfo candidate, PgHaLsn checkpoint, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                NodeProbeResult probe = session.State == ConnectionState.Open
                    ? await NodeProbe.ProbeAsync(session, context.CancellationToken).ConfigureAwait(false)
                    : await NodeProbe.ProbeAsync(context, candidate).ConfigureAwait(false);
                if (probe.ReceiveLsn > checkpoint && probe.ReplayLsn > checkpoint)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is PgHaException or NpgsqlException)
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
    /// The stop failed, so nothing is promoted. When pg_ctl refused, the server was never asked to stop and
    /// still runs; when the deadline passed, its shutdown goes on and cannot be called off, so it is waited
    /// for (another -Wait) and the server is started again, rather than left to go down unattended.
    /// </summary>
    private static async Task<string> AfterStopFailedAsync(OperationContext context, SwitchoverPlan plan, INodeTransport oldPrimaryHost, PgHaException failure)
    {
        string name = plan.OldPrimary.Name;
        string reason = $"{name} could not be stopped: {failure.Message}";
        if (failure.ErrorId == PgHaErrorIds.NodeStopTimeout)
        {
            context.Reporter.Warning($"{name} did not stop in time, and its shutdown cannot be called off: waiting up to {plan.Options.StopWait.TotalSeconds:0} s more for it to finish, to start it again.");
            try
            {
                await NodeService.StopAndReadControlDataAsync(context, oldPrimaryHost, plan.OldPrimaryHost, plan.OldPrimaryBinDir, PgHaStopMode.Fast, plan.Options.StopWait).ConfigureAwait(false);
            }
            catch (PgHaException again) when (again.ErrorId == PgHaErrorIds.NodeStopTimeout)
            {
                await RecordFailureAsync(context, plan.OldPrimaryConninfo, plan, reason).ConfigureAwait(false);
                return $" Its shutdown had still not finished {plan.Options.StopWait.TotalSeconds:0} s later: once it is down, start it again with Start-PgHaNode -Name {name} (or find what holds it: its log, its walsenders).";
            }
            catch (PgHaException)
            {
                // pg_ctl found no server to signal: it went down meanwhile. The state check below decides.
            }
        }
        return await AbortAsync(context, plan, reason, onlyIfStopped: true).ConfigureAwait(false);
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
