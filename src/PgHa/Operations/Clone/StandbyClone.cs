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

namespace PgHa.Operations.Clone;

/// <summary>
/// New-PgHaStandby's engine (repmgr standby clone). <see cref="PlanAsync"/> checks the source and the
/// target and writes nothing (-WhatIf stops there). <see cref="ApplyAsync"/> replaces the target only
/// after every check passed, copies with pg_basebackup, writes the standby configuration, and can start
/// and register the standby.
/// </summary>
internal static class StandbyClone
{
    /// <summary>
    /// Written into the target as soon as pg_basebackup runs, removed once the standby is configured: a
    /// directory that still holds it is a clone that did not finish, and Start-PgHaNode refuses it.
    /// </summary>
    public const string IncompleteMarker = NodeService.CloneIncompleteMarker;

    private const string Activity = "New-PgHaStandby";

    public static async Task<ClonePlan> PlanAsync(OperationContext context, CloneRequest request)
    {
        CancellationToken ct = context.CancellationToken;
        NodeNames.Validate(request.Target.Name);
        var checks = new CloneChecks(request.Target.Name);
        context.Reporter.Progress(Activity, $"Checking the source for {request.Target.Name}", 0);

        NodeProbeResult probe;
        SourceFacts facts;
        IReadOnlyList<NodeRecord>? nodes;
        try
        {
            // One session for the probe, the facts and the metadata: each new one is a backend forked on the source.
            await using var connection = await OpenSourceAsync(context, request.Source).ConfigureAwait(false);
            probe = await NodeProbe.ProbeAsync(connection, ct).ConfigureAwait(false);
            facts = await SourceFacts.ReadAsync(connection, request.SlotName, ct).ConfigureAwait(false);
            nodes = await ReadNodesAsync(connection, request.Source, ct).ConfigureAwait(false);
        }
        catch (PgHaException ex)
        {
            // A refused login or a missing database keeps its own ErrorId: each needs a different fix.
            checks.Fail("SourceReachable", ex.ErrorId == PgHaErrorIds.NodeUnreachable ? PgHaErrorIds.CloneSourceUnreachable : ex.ErrorId, ex.Message);
            return FailedPlan(request, checks);
        }
        checks.Pass("SourceReachable", $"PostgreSQL {probe.ServerVersion} at '{request.Source.ToDisplayString()}', {(facts.InRecovery ? "a standby (cascading clone)" : "the primary")}, system identifier {facts.SystemIdentifier}.");
        checks.CheckSourceSettings(facts, request.SlotName);
        checks.CheckCheckpoint(request.FastCheckpoint);

        var (sourceName, eventsTo, eventNodeId, primaryDirectories) = await FindClusterAsync(context, request, checks, nodes).ConfigureAwait(false);
        ConnectionInfo replication = StandbyConfiguration.ReplicationConninfo(request.Source, request.Target.Name, request.ReplicationUser);

        context.Reporter.Progress(Activity, $"Checking the target host of {request.Target.Name}", 30);
        await using INodeTransport target = await request.Target.OpenAsync(context).ConfigureAwait(false);
        try
        {
            return await CheckTargetAsync(context, request, checks, target, facts, probe, sourceName, eventsTo, eventNodeId, replication, primaryDirectories).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new PgHaException(PgHaErrorIds.CloneTargetPathInvalid, request.Target.DataDirectory,
                $"Checking the target on {target.Description} failed: {ex.Message}. The PostgreSQL OS user must be able to reach and write the data directory's parent.", ex);
        }
    }

    private static async Task<ClonePlan> CheckTargetAsync(OperationContext context, CloneRequest request, CloneChecks checks, INodeTransport target,
        SourceFacts facts, NodeProbeResult probe, string? sourceName, ConnectionInfo? eventsTo, int eventNodeId, ConnectionInfo replication,
        IReadOnlyList<string> primaryDirectories)
    {
        CancellationToken ct = context.CancellationToken;
        string binDir = (request.Target.PgBinDir ?? PgBinDirectory.ForMajorVersion(facts.MajorVersion)).TrimEnd('/');
        string dir = request.Target.DataDirectory.TrimEnd('/');
        bool keeping = request.KeepOldDirectorySuffix is not null;
        bool replacing = request.Force || request.AllowNonEmpty || keeping;
        // The survey and the guard's scan only read, each in a program of its own: side by side, the plan waits for one.
        Task<TargetSurvey> surveying = TargetSurvey.ReadAsync(target, binDir, dir, measureUsedSpace: replacing, probe.Timeline, ct);
        Task<(DirectoryScan Scan, DirectoryRefusal? Refusal)> guarding = DirectoryGuard.CheckAsync(context, target, dir, primaryDirectories, request.AllowNonEmpty ? null : "-AllowNonEmpty");
        await Task.WhenAll(surveying, guarding).ConfigureAwait(false);
        TargetSurvey survey = await surveying.ConfigureAwait(false);
        // The guard first: a directory that belongs to a running server or to the primary is refused
        // whatever the switches, before anything else is said about it or written beside it (the access
        // check's passfile lives in the directory's parent).
        var (scan, refusal) = await guarding.ConfigureAwait(false);
        string? keptPath = keeping ? KeptPath(scan?.ResolvedPath ?? dir, request.KeepOldDirectorySuffix!) : null;
        if (checks.CheckPrograms(survey, target.Description, binDir, facts.MajorVersion) && refusal is null)
        {
            await using (var pass = await TemporaryPassfile.CreateAsync(context, target, dir).ConfigureAwait(false))
            {
                await checks.CheckReplicationAccessAsync(target, binDir, pass.AddTo(replication).With("replication", "true").ToKeywordValueString(), ct).ConfigureAwait(false);
            }
        }
        if (refusal is not null)
        {
            checks.Fail("TargetDirectory", refusal.ErrorId, refusal.Message);
        }
        else
        {
            bool otherBranch = survey.HistoryOfSourceTimeline is { } own && await IsOtherBranchAsync(context, request.Source, target, dir, probe.Timeline!.Value, own).ConfigureAwait(false);
            CheckTargetDirectory(checks, target.Description, dir, survey, facts, probe, replacing, keptPath, otherBranch);
        }
        if (keptPath is not null && survey.NotEmpty && await target.PathExistsAsync(keptPath, ct).ConfigureAwait(false))
        {
            checks.Fail("TargetDirectory", PgHaErrorIds.CloneTargetPathInvalid,
                $"'{keptPath}' exists on {target.Description}: the old directory cannot be kept there. Move it away and try again.");
        }
        // A kept directory frees nothing: the copy needs its whole size beside it.
        checks.CheckDiskSpace(survey, target.Description, facts.DatabaseBytes, survey.NotEmpty && replacing && !keeping);

        context.Reporter.Progress(Activity, "Checks done", 100);
        return new ClonePlan(request, checks.All, facts, sourceName ?? request.Source.ToDisplayString(), replication, binDir, survey.Exists, survey.NotEmpty, eventsTo, eventNodeId,
            primaryDirectories);
    }

    public static async Task<PgHaStandbyClone> ApplyAsync(OperationContext context, ClonePlan plan)
    {
        if (plan.Checks.Any(c => c.Status == PgHaCheckStatus.Failed))
        {
            throw new InvalidOperationException("A clone plan with failed checks must not be applied.");
        }
        CancellationToken ct = context.CancellationToken;
        CloneRequest request = plan.Request;
        string dir = request.Target.DataDirectory.TrimEnd('/');
        var total = Stopwatch.StartNew();

        await using INodeTransport target = await request.Target.OpenAsync(context).ConfigureAwait(false);
        TimeSpan backupDuration;
        long copiedKb;
        bool slotCreated = false;
        Task<NpgsqlConnection>? eventSession = null;
        Dictionary<string, string> ownFiles = request.KeepOldDirectorySuffix is not null && plan.TargetNotEmpty
            ? await ReadOwnFilesAsync(target, dir, ct).ConfigureAwait(false)
            : [];
        string? kept;
        try
        {
            kept = await PrepareDirectoryAsync(context, plan, target, dir).ConfigureAwait(false);
            if (plan.SlotName is not null && !plan.Source.SlotExists)
            {
                await CreateSlotAsync(context, request.Source, plan.SlotName).ConfigureAwait(false);
                slotCreated = true;
            }
            (backupDuration, copiedKb) = await RunBaseBackupAsync(context, plan, target, dir).ConfigureAwait(false);
            // The event's session opens while the standby is configured: the event is still written only after that.
            eventSession = OpenEventSessionAsync(context, plan);
            foreach (var (file, content) in ownFiles)
            {
                // Before the standby configuration, which edits the node's own postgresql.auto.conf.
                await target.WriteFileAsync($"{dir}/{file}", content, ct).ConfigureAwait(false);
            }
            await ConfigureStandbyAsync(context, plan, target, dir).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or TimeoutException or IOException or OperationCanceledException)
        {
            string reason = ex is OperationCanceledException ? "the clone was stopped" : ex.Message;
            if (slotCreated)
            {
                // An unused slot would hold WAL on the source for ever.
                await DropSlotAsync(context, request.Source, plan.SlotName!).ConfigureAwait(false);
            }
            await WriteEventAsync(context, plan, false, $"clone of '{request.Target.Name}' from '{plan.SourceDisplay}' into {dir} on {target.Description} failed: {reason}", eventSession).ConfigureAwait(false);
            if (ex is PgHaException)
            {
                throw;
            }
            ct.ThrowIfCancellationRequested();
            throw new PgHaException(PgHaErrorIds.CloneFailed, request.Target.Name,
                $"The clone of '{request.Target.Name}' failed: {ex.Message}. The target directory is marked incomplete ({IncompleteMarker}); run New-PgHaStandby again with -Force.", ex);
        }
        catch (Exception) when (eventSession is not null)
        {
            // Any other error (an SSH connection lost, a program that could not start): the session opened ahead is not
            // left holding a backend on the primary for the life of the PowerShell process.
            DiscardEventSession(eventSession);
            throw;
        }
        await WriteEventAsync(context, plan, true,
            $"node '{request.Target.Name}' cloned from '{plan.SourceDisplay}' into {dir} on {target.Description} ({copiedKb} kB in {backupDuration.TotalSeconds:0.0} s)", eventSession).ConfigureAwait(false);

        bool started = false;
        if (request.Start)
        {
            await NodeService.StartAsync(context, request.Target with { PgBinDir = plan.PgBinDir }, null, request.Wait).ConfigureAwait(false);
            await WaitForStreamingAsync(context, request).ConfigureAwait(false);
            started = true;
        }

        bool registered = false;
        if (request.Register)
        {
            var registration = new RegistrationRequest(PgHaRole.Standby, request.Conninfo!, request.Target.Name, request.Id, request.Location, request.Priority,
                null, dir, plan.PgBinDir, plan.SlotName, null, request.Force, request.Target.SshHost, request.Target.SshPort, request.Target.SshUser);
            RegistrationPlan registrationPlan = await NodeRegistration.PlanAsync(context, registration).ConfigureAwait(false);
            if (registrationPlan.NeedsWrite)
            {
                await NodeRegistration.ApplyAsync(context, registrationPlan).ConfigureAwait(false);
            }
            registered = true;
        }

        return new PgHaStandbyClone
        {
            Name = request.Target.Name,
            DataDirectory = dir,
            Host = target.Description,
            Source = plan.SourceDisplay,
            SystemIdentifier = plan.Source.SystemIdentifier,
            PrimaryConninfo = plan.ReplicationConninfo.ToDisplayString(),
            SlotName = plan.SlotName,
            Replaced = plan.TargetNotEmpty,
            CopiedKilobytes = copiedKb,
            BackupDuration = backupDuration,
            Duration = total.Elapsed,
            Started = started,
            Registered = registered,
            KeptDirectory = kept,
            Checks = [.. plan.Checks],
        };
    }

    private static ClonePlan FailedPlan(CloneRequest request, CloneChecks checks) =>
        new(request, checks.All, new SourceFacts(0, false, string.Empty, 0, 0, string.Empty, 0, 0, false, false, 0, false),
            request.Source.ToDisplayString(), request.Source, request.Target.PgBinDir ?? string.Empty, false, false, null, 0, []);

    /// <summary>
    /// The source's node records, read on the session already open to its metadata database; null when the session
    /// is to another database (the source has no PgHa database) or the metadata cannot be read (not PgHa's yet).
    /// </summary>
    private static async Task<IReadOnlyList<NodeRecord>?> ReadNodesAsync(NpgsqlConnection connection, ConnectionInfo source, CancellationToken ct)
    {
        if (connection.Database != NodeConnector.MetadataDatabaseOf(source))
        {
            return null;
        }
        try
        {
            var store = new MetadataStore(connection);
            await store.EnsureReadableAsync(source.ToDisplayString(), ct).ConfigureAwait(false);
            return await store.GetNodesAsync(ct).ConfigureAwait(false);
        }
        catch (PgHaException)
        {
            return null;
        }
    }

    private static async Task<NpgsqlConnection> OpenSourceAsync(OperationContext context, ConnectionInfo source)
    {
        try
        {
            return await NodeConnector.OpenAsync(context, source, NodeConnector.MetadataDatabaseOf(source)).ConfigureAwait(false);
        }
        catch (PgHaException ex) when (ex.ErrorId == PgHaErrorIds.DatabaseMissing)
        {
            return await NodeConnector.OpenAsync(context, source, "postgres").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether the source belongs to a PgHa cluster: then its registered name is used, events go to the
    /// registered primary, and the primary's data directory is kept by the guard when the primary lives on
    /// the target's host (the same SSH host, or both on this machine). A source without PgHa metadata is
    /// fine (a first standby before registration).
    /// </summary>
    private static async Task<(string? SourceName, ConnectionInfo? EventsTo, int EventNodeId, IReadOnlyList<string> PrimaryDirectories)> FindClusterAsync(
        OperationContext context, CloneRequest request, CloneChecks checks, IReadOnlyList<NodeRecord>? nodes)
    {
        if (nodes is null)
        {
            return (request.SourceName, null, 0, []);
        }
        NodeEndpoint sourceEndpoint = NodeEndpoint.Of(request.Source);
        string? sourceName = request.SourceName ?? nodes.FirstOrDefault(n =>
            RegisteredConninfo.TryParse(n, out var info) && NodeEndpoint.Of(info) == sourceEndpoint)?.Name;
        NodeRecord? primary = nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active);
        // The name is the clone's application_name and will be its record's: one that differs from a
        // registered name only in case would be a second node easily taken for the first.
        if (NodeNames.DifferentlyCased(nodes.Select(n => n.Name), request.Target.Name) is { } registered)
        {
            checks.Fail("NodeName", PgHaErrorIds.NodeNameInUse,
                $"'{registered}' is registered, and '{request.Target.Name}' differs from it only in case: node names are matched exactly, so the two would be easy to confuse. " +
                $"Use -Name '{registered}' to clone that node again, or choose another name.");
        }
        else
        {
            checks.Pass("NodeName", $"'{request.Target.Name}' is {(NodeNames.Find(nodes, n => n.Name, request.Target.Name) is null ? "not registered yet" : "a registered node")}.");
        }
        // The id the node has, or the one registration will give it next (events need a node id).
        int nodeId = request.Id ?? NodeNames.Find(nodes, n => n.Name, request.Target.Name)?.Id ?? (nodes.Count == 0 ? 1 : nodes.Max(n => n.Id) + 1);
        string[] primaryDirectories = primary?.DataDirectory is { } primaryDir && SameHost(primary.SshHost, request.Target.SshHost) ? [primaryDir] : [];
        return (sourceName, primary is null ? null : RegisteredConninfo.Parse(primary), nodeId, primaryDirectories);
    }

    private static bool SameHost(string? a, string? b) =>
        string.IsNullOrEmpty(a) ? string.IsNullOrEmpty(b) : string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A non-empty target is replaced only with -Force, and never when a server runs in it or when it is
    /// the current primary's data (same system identifier, left as a primary, on the current timeline).
    /// A base backup that was never started (it still has its backup_label) is no primary's data, although
    /// its pg_control, copied from the running primary, says "in production": since PostgreSQL 15 removed
    /// exclusive backups, no primary's own data directory holds a backup_label.
    /// </summary>
    private static void CheckTargetDirectory(CloneChecks checks, string targetDescription, string dir, TargetSurvey survey,
        SourceFacts source, NodeProbeResult sourceProbe, bool force, string? keepAs, bool otherBranch)
    {
        if (!survey.Exists)
        {
            checks.Pass("TargetDirectory", $"'{dir}' does not exist yet and will be created.");
            return;
        }
        if (!survey.NotEmpty)
        {
            checks.Pass("TargetDirectory", $"'{dir}' is empty.");
            return;
        }
        if (survey.ServerRunning)
        {
            checks.Fail("TargetDirectory", PgHaErrorIds.CloneTargetRunning,
                $"A PostgreSQL server is running in '{dir}' on {targetDescription}. PgHa never replaces a running server's data: stop it first (Stop-PgHaNode), or choose another -DataDirectory.");
            return;
        }
        PgControlData? control = survey.ControlData;
        if (keepAs is not null)
        {
            // Moved, not deleted: whatever it is, it stays whole beside the new copy (the guard above already
            // refused a running server's directory and the registered primary's).
            checks.Warn("TargetDirectory", $"'{dir}' is not empty and no server runs in it: it is moved to '{keepAs}' whole, and the node's own configuration files are copied into the new directory" +
                $"{(control is null ? string.Empty : $"; it held system identifier {control.SystemIdentifier}, timeline {control.TimelineId}, state: {control.ClusterState}")}.");
            return;
        }
        // A directory with another history of the source's timeline number is a branch that number was given
        // to twice (a primary cut off right after its promotion): not the current primary's data.
        if (control is not null && control.SystemIdentifier == source.SystemIdentifier && control.WasPrimary
            && !survey.NeverStartedBaseBackup && !otherBranch && control.TimelineId >= (sourceProbe.Timeline ?? int.MaxValue))
        {
            checks.Fail("TargetDirectory", PgHaErrorIds.CloneTargetIsPrimary,
                $"'{dir}' on {targetDescription} holds this cluster's primary data on the current timeline {control.TimelineId} (state: {control.ClusterState}). PgHa never overwrites the current primary's data directory, even with -Force.");
            return;
        }
        if (!force)
        {
            checks.Fail("TargetDirectory", PgHaErrorIds.CloneTargetNotEmpty,
                $"'{dir}' on {targetDescription} is not empty{(control is null ? string.Empty : $" (a stopped cluster, system identifier {control.SystemIdentifier}, state: {control.ClusterState})")}. Use -Force to replace its contents.");
            return;
        }
        checks.Warn("TargetDirectory", $"'{dir}' is not empty and no server runs in it: its contents will be replaced (-Force){(control is null ? string.Empty : $"; it held system identifier {control.SystemIdentifier}, timeline {control.TimelineId}, state: {control.ClusterState}")}.");
    }

    /// <summary>Where a kept directory goes: beside its real path, so that the move is a rename on its own filesystem.</summary>
    private static string KeptPath(string resolvedPath, string suffix) => resolvedPath.TrimEnd('/') + suffix;

    /// <returns>Where the old contents were kept (<see cref="CloneRequest.KeepOldDirectorySuffix"/>), else null.</returns>
    private static async Task<string?> PrepareDirectoryAsync(OperationContext context, ClonePlan plan, INodeTransport target, string dir)
    {
        CancellationToken ct = context.CancellationToken;
        // Checked again right before anything is deleted or made: a server may have been started since the plan.
        DirectoryScan scan = await DirectoryGuard.EnsureSafeAsync(context, target, dir, plan.PrimaryDirectories,
            plan.Request.AllowNonEmpty ? null : "-AllowNonEmpty").ConfigureAwait(false);
        if (plan.TargetNotEmpty && plan.Request.KeepOldDirectorySuffix is { } suffix)
        {
            string keepAs = KeptPath(scan.ResolvedPath, suffix);
            context.Reporter.Verbose($"Moving '{scan.ResolvedPath}' on {target.Description} to '{keepAs}', whole.");
            // -T: never into an existing directory of that name; a mount point cannot be moved and fails here.
            await RunCheckedAsync(target, "mv", ["-T", "--", scan.ResolvedPath, keepAs], $"move {dir} to {keepAs}", ct).ConfigureAwait(false);
            await RunCheckedAsync(target, "mkdir", ["-m", "0700", "--", scan.ResolvedPath], "create " + dir, ct).ConfigureAwait(false);
            return keepAs;
        }
        if (plan.TargetNotEmpty)
        {
            context.Reporter.Verbose($"Removing the contents of '{scan.ResolvedPath}' on {target.Description} ({(plan.Request.AllowNonEmpty ? "-AllowNonEmpty" : "-Force")}).");
            // The contents, not the directory: it may be a mount point. The resolved path, as checked: find
            // does not follow a symlink given as its starting point.
            await RunCheckedAsync(target, "find", [scan.ResolvedPath, "-mindepth", "1", "-delete"], "remove the old contents of " + dir, ct).ConfigureAwait(false);
        }
        else if (!plan.TargetExists)
        {
            await RunCheckedAsync(target, "mkdir", ["-p", "-m", "0700", "--", dir], "create " + dir, ct).ConfigureAwait(false);
            return null;
        }
        await RunCheckedAsync(target, "chmod", ["0700", "--", dir], "set the mode of " + dir, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// The source's history file of its timeline, compared with the target's of that number; null when the
    /// source cannot say (then the target is taken as the same branch, and the stricter checks apply).
    /// </summary>
    private static async Task<string?> ReadSourceHistoryAsync(OperationContext context, ConnectionInfo source, int? timeline)
    {
        try
        {
            await using var connection = await OpenSourceAsync(context, source).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT pg_read_file('pg_wal/' || lpad(upper(to_hex($1)), 8, '0') || '.history', 0, 1048576, true)", connection);
            cmd.Parameters.Add(new() { Value = timeline ?? 1 });
            return await cmd.ExecuteScalarAsync(context.CancellationToken).ConfigureAwait(false) as string;
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            context.Reporter.Verbose($"The source's history of timeline {timeline} cannot be read ({ex.Message}); the target is judged by its pg_control alone.");
            return null;
        }
    }

    /// <summary>
    /// Whether the target's timeline of the source's timeline number is another timeline than the source's:
    /// another history file, or the same one (two promotions from one switch point) with other first WAL
    /// bytes (<see cref="TimelineStart"/>). False when the source cannot say.
    /// </summary>
    private static async Task<bool> IsOtherBranchAsync(OperationContext context, ConnectionInfo source, INodeTransport target, string dir, int timeline, string targetHistory)
    {
        string? sourceHistory = await ReadSourceHistoryAsync(context, source, timeline).ConfigureAwait(false);
        if (sourceHistory is null)
        {
            return false;
        }
        if (!Lines(targetHistory).SequenceEqual(Lines(sourceHistory)))
        {
            return true;
        }
        string[] last = Lines(targetHistory).LastOrDefault()?.Split(['\t', ' '], 3, StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (last.Length < 2 || !PgHaLsn.TryParse(last[1], out PgHaLsn start))
        {
            return false;
        }
        try
        {
            await using var connection = await OpenSourceAsync(context, source).ConfigureAwait(false);
            string? onSource = await TimelineStart.ReadOnServerAsync(connection, timeline, start, context.CancellationToken).ConfigureAwait(false);
            long segmentSize = await TimelineStart.SegmentSizeAsync(connection, context.CancellationToken).ConfigureAwait(false);
            string? onTarget = onSource is null ? null : await TimelineStart.ReadOnDiskAsync(target, dir, timeline, start, segmentSize, context.CancellationToken).ConfigureAwait(false);
            return TimelineStart.Differs(onTarget, onSource);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            context.Reporter.Verbose($"The source's first WAL bytes of timeline {timeline} cannot be read ({ex.Message}); the target is judged by its pg_control alone.");
            return false;
        }
    }

    private static IEnumerable<string> Lines(string history) =>
        history.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'));

    private static async Task<Dictionary<string, string>> ReadOwnFilesAsync(INodeTransport target, string dir, CancellationToken ct)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in StandbyConfiguration.NodeOwnFiles)
        {
            if (await target.ReadFileAsync($"{dir}/{file}", ct).ConfigureAwait(false) is { } content)
            {
                files[file] = content;
            }
        }
        return files;
    }

    private static async Task CreateSlotAsync(OperationContext context, ConnectionInfo source, string slotName)
    {
        context.Reporter.Verbose($"Creating the physical replication slot '{slotName}' on the source.");
        await using var connection = await OpenSourceAsync(context, source).ConfigureAwait(false);
        // immediately_reserve: the slot holds WAL from now on, not only from the standby's first connection.
        await using var cmd = new NpgsqlCommand("SELECT pg_create_physical_replication_slot($1, true)", connection);
        cmd.Parameters.Add(new() { Value = slotName });
        try
        {
            await cmd.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            // Created meanwhile: the standby uses it all the same.
        }
    }

    private static async Task DropSlotAsync(OperationContext context, ConnectionInfo source, string slotName)
    {
        OperationContext cleanup = context.WithCancellation(CancellationToken.None);
        try
        {
            await using var connection = await OpenSourceAsync(cleanup, source).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", connection);
            cmd.Parameters.Add(new() { Value = slotName });
            await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            context.Reporter.Verbose($"Dropped the replication slot '{slotName}' created for the failed clone.");
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            context.Reporter.Warning($"The replication slot '{slotName}' created for the failed clone could not be dropped ({ex.Message}); drop it on the source with pg_drop_replication_slot, or it keeps WAL there.");
        }
    }

    private static async Task<(TimeSpan Duration, long CopiedKb)> RunBaseBackupAsync(OperationContext context, ClonePlan plan, INodeTransport target, string dir)
    {
        CancellationToken ct = context.CancellationToken;
        CloneRequest request = plan.Request;
        string name = request.Target.Name;
        long copiedKb = 0;
        Task? markerWritten = null;
        var markerLock = new object();

        await using var pass = await TemporaryPassfile.CreateAsync(context, target, dir).ConfigureAwait(false);
        var arguments = new List<string>
        {
            "-d", pass.AddTo(plan.ReplicationConninfo).ToKeywordValueString(),
            "-D", dir,
            "-X", "stream",
            "-c", request.FastCheckpoint ? "fast" : "spread",
            "-w",
            "-P",
        };
        if (request.MaxRate is not null)
        {
            arguments.AddRange(["-r", request.MaxRate]);
        }
        if (plan.SlotName is not null)
        {
            // The WAL streamed during the copy comes through the standby's slot, which then holds
            // everything from the copy's start until the standby connects.
            arguments.AddRange(["-S", plan.SlotName]);
        }
        context.Reporter.Verbose($"Running pg_basebackup on {target.Description}: copying '{plan.SourceDisplay}' into '{dir}' with a {(request.FastCheckpoint ? "fast" : "spread")} checkpoint.");
        context.Reporter.Progress(Activity, $"Cloning {name} from {plan.SourceDisplay}: waiting for the checkpoint", 0);

        void OnLine(CommandOutputLine line)
        {
            if (!BaseBackupProgress.TryParse(line.Text, out BaseBackupProgress progress))
            {
                return;
            }
            copiedKb = progress.DoneKilobytes;
            context.Reporter.Progress(Activity, $"Cloning {name} from {plan.SourceDisplay}: {progress.DoneKilobytes / 1024} of {progress.TotalKilobytes / 1024} MB", Math.Min(progress.Percent, 99));
            lock (markerLock)
            {
                // Once the copy runs, the directory is marked so a clone stopped half-way can never be
                // started as if it were whole; standby.signal keeps even a hand-started copy read-only.
                // Off this thread: output callbacks may run on the SSH connection's own receive loop,
                // which must stay free to answer the new channel the write opens.
                markerWritten ??= Task.Run(() => MarkIncompleteAsync(target, dir, ct), ct);
            }
        }

        var watch = Stopwatch.StartNew();
        CommandResult result = await target.RunAsync(plan.PgBinDir + "/pg_basebackup", arguments,
            new CommandOptions { OnOutputLine = OnLine }, ct).ConfigureAwait(false);
        TimeSpan duration = watch.Elapsed;
        lock (markerLock)
        {
            markerWritten ??= result.Succeeded ? MarkIncompleteAsync(target, dir, ct) : Task.CompletedTask;
        }
        await markerWritten.ConfigureAwait(false);
        if (!result.Succeeded)
        {
            string tail = string.Join('\n', result.StandardError.Replace('\r', '\n').Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => !BaseBackupProgress.TryParse(l, out _)).TakeLast(5));
            throw new PgHaException(PgHaErrorIds.CloneFailed, name,
                $"pg_basebackup into '{dir}' on {target.Description} failed (exit code {result.ExitCode}): {tail}. Nothing was started; fix the cause and run New-PgHaStandby again (with -Force if files were left).");
        }
        context.Reporter.Progress(Activity, $"Cloned {name} in {duration.TotalSeconds:0.0} s", 100);
        return (duration, copiedKb);
    }

    private static async Task MarkIncompleteAsync(INodeTransport target, string dir, CancellationToken ct)
    {
        await target.WriteFileAsync(dir + "/" + IncompleteMarker,
            "PgHa is cloning this data directory, or a clone stopped before it finished.\nDo not start it: run New-PgHaStandby -Force to clone it again.\n", ct).ConfigureAwait(false);
        await target.WriteFileAsync(dir + "/standby.signal", string.Empty, ct).ConfigureAwait(false);
    }

    /// <summary>The PostgreSQL 12+ way: standby.signal, and primary_conninfo (named after the node, never with a password) in postgresql.auto.conf.</summary>
    private static async Task ConfigureStandbyAsync(OperationContext context, ClonePlan plan, INodeTransport target, string dir)
    {
        CancellationToken ct = context.CancellationToken;
        // The marker goes in the same step, once standby.signal and primary_conninfo are durable: at no moment is the
        // directory startable as a primary.
        await StandbyConfiguration.WriteAsync(target, dir, plan.ReplicationConninfo, plan.SlotName, plan.Request.ServerSettings, ct, thenRemove: IncompleteMarker).ConfigureAwait(false);
        context.Reporter.Verbose($"Wrote standby.signal and primary_conninfo = '{plan.ReplicationConninfo.ToDisplayString()}'{(plan.SlotName is null ? string.Empty : $", primary_slot_name = '{plan.SlotName}'")}.");
        if (context.Credential is not null)
        {
            context.Reporter.Warning($"No password was written into primary_conninfo. For '{plan.Request.Target.Name}' to stream, the PostgreSQL OS user on {target.Description} needs the replication password in ~/.pgpass.");
        }
    }

    private static async Task WaitForStreamingAsync(OperationContext context, CloneRequest request)
    {
        var deadline = Stopwatch.StartNew();
        string? last = null;
        while (deadline.Elapsed < request.Wait)
        {
            try
            {
                var probe = await NodeProbe.ProbeAsync(context, request.Conninfo!).ConfigureAwait(false);
                if (probe.ReceiverStatus == "streaming")
                {
                    context.Reporter.Verbose($"'{request.Target.Name}' streams from its upstream.");
                    return;
                }
                last = $"WAL receiver: {probe.ReceiverStatus ?? "not running"}";
            }
            catch (PgHaException ex)
            {
                last = ex.Message;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), context.CancellationToken).ConfigureAwait(false);
        }
        throw new PgHaException(PgHaErrorIds.StandbyNotStreaming, request.Target.Name,
            $"'{request.Target.Name}' started but did not stream within {request.Wait.TotalSeconds:0} s ({last}). Check its log and the upstream's pg_hba.conf; the data directory is complete.");
    }

    /// <summary>A session to where the events go (null when nowhere); opened ahead of the event by <see cref="WriteEventAsync"/>'s caller.</summary>
    private static Task<NpgsqlConnection>? OpenEventSessionAsync(OperationContext context, ClonePlan plan) =>
        plan.EventsTo is null ? null : NodeConnector.OpenAsync(context, plan.EventsTo, NodeConnector.MetadataDatabaseOf(plan.EventsTo));

    /// <summary>Closes a session opened ahead once it is open, and observes a failed open.</summary>
    private static void DiscardEventSession(Task<NpgsqlConnection> opening) =>
        _ = opening.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully)
            {
                t.Result.Dispose();
            }
            else
            {
                _ = t.Exception; // observed: a failed open is no error of the clone's
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <param name="opening">The session opened ahead (<see cref="OpenEventSessionAsync"/>), or null to open one now.</param>
    private static async Task WriteEventAsync(OperationContext context, ClonePlan plan, bool successful, string details, Task<NpgsqlConnection>? opening)
    {
        if (plan.EventsTo is null)
        {
            return;
        }
        try
        {
            await using var connection = await (opening ?? OpenEventSessionAsync(context, plan)!).ConfigureAwait(false);
            await using var change = await MetadataChange.BeginAsync(context, new MetadataStore(connection), CancellationToken.None).ConfigureAwait(false);
            await change.AddEventAsync(plan.EventNodeId, plan.Request.Target.Name, "standby_clone", successful, details).ConfigureAwait(false);
            await change.CommitAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or NpgsqlException)
        {
            context.Reporter.Warning($"The standby_clone event could not be written to the primary: {ex.Message}");
        }
    }

    private static async Task RunCheckedAsync(INodeTransport target, string program, IReadOnlyList<string> arguments, string what, CancellationToken ct)
    {
        CommandResult result = await target.RunAsync(program, arguments, new CommandOptions { Timeout = TimeSpan.FromMinutes(10) }, ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new PgHaException(PgHaErrorIds.CloneTargetPathInvalid, arguments[^1],
                MessageText.Shorten($"Could not {what} on {target.Description}: {result.StandardError.Trim()}. The PostgreSQL OS user must be able to write there."));
        }
    }
}
