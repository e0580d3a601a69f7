using System.Net;
using PgHa.Conninfo;
using PgHa.Metadata;
using static PgHa.Operations.Checks.CheckResultText;

namespace PgHa.Operations.Checks;

/// <summary>
/// The checks of one node, read off a <see cref="ClusterSnapshot"/>: pure, so each rule is tested with a
/// table of made-up facts. A check that does not apply to the node's role (lag on a primary) yields
/// nothing; one that applies but could not be made yields Unknown with the reason.
/// </summary>
internal static class NodeCheckRules
{
    /// <summary>
    /// The checks in the order they are reported, with the nodes each is expected for by their registration
    /// alone (what decides whether a node that did not answer gets an Unknown row for it) and the rule that
    /// makes it from the node's facts (which may still find it does not apply: a standby that archives).
    /// </summary>
    private static readonly (PgHaCheckName Check, Func<NodeCheck, bool> Expected, Func<NodeCheck, PgHaCheckResult?> Rule)[] Rules =
    [
        (PgHaCheckName.Connection, Always, Connection),
        (PgHaCheckName.Role, Always, Role),
        (PgHaCheckName.Upstream, IsStandby, Upstream),
        (PgHaCheckName.ReplicationLag, IsStandby, LagSeconds),
        (PgHaCheckName.ReplicationLagBytes, IsStandby, LagBytes),
        // A standby archives only with archive_mode = always, which only its facts tell.
        (PgHaCheckName.ArchiveBacklog, c => c.Node.Role == PgHaRole.Primary, ArchiveBacklog),
        (PgHaCheckName.DownstreamStandbys, c => c.Downstreams.Any(), Downstream),
        // Slots are kept for the standbys that stream from a node: the primary and a cascading upstream.
        (PgHaCheckName.InactiveSlots, KeepsSlots, InactiveSlots),
        (PgHaCheckName.SlotRetainedWal, KeepsSlots, SlotRetainedWal),
        (PgHaCheckName.MissingSlots, c => c.Downstreams.Any(n => !string.IsNullOrEmpty(n.SlotName)), MissingSlots),
        (PgHaCheckName.DataDirectory, c => !string.IsNullOrEmpty(c.Node.DataDirectory), DataDirectory),
        (PgHaCheckName.RewindReady, c => c.IsDataNode, RewindReady),
        (PgHaCheckName.Monitor, Always, Monitor),
        (PgHaCheckName.Timeline, c => c.IsComparedWithPrimary, Timeline),
        (PgHaCheckName.Metadata, IsComparedWithPrimaryMetadata, Metadata),
        (PgHaCheckName.StandbySettings, c => c.IsComparedWithPrimary, StandbySettings),
        (PgHaCheckName.PreloadLibraries, c => c.IsComparedWithPrimary, PreloadLibraries),
        (PgHaCheckName.Extensions, c => c.IsDataNode && c.Node.Active, Extensions),
        (PgHaCheckName.ReplicationHba, c => c.IsDataNode && c.Node.Active, ReplicationHba),
        (PgHaCheckName.ClockSkew, IsComparedWithPrimaryMetadata, ClockSkew),
    ];

    private static bool Always(NodeCheck c) => true;

    private static bool IsStandby(NodeCheck c) => c.Node.Role == PgHaRole.Standby;

    private static bool KeepsSlots(NodeCheck c) => c.Node.Role == PgHaRole.Primary || c.Downstreams.Any();

    /// <summary>Any active node but the primary (a witness too): its copy of the records and its clock are compared with the primary's.</summary>
    private static bool IsComparedWithPrimaryMetadata(NodeCheck c) => c.Node.Active && c.Snapshot.Primary is { } primary && primary.Id != c.Node.Id;

    /// <summary>Checks that are made even when the node's server did not answer (they ask something else).</summary>
    private static readonly HashSet<PgHaCheckName> WithoutServer = [PgHaCheckName.Connection, PgHaCheckName.Monitor];

    /// <summary>
    /// The selected checks of <paramref name="node"/>. <paramref name="addresses"/> holds the resolved
    /// addresses of each node's conninfo host (for the pg_hba rules). A node that did not answer gets an
    /// Unknown row for each selected check its registration expects (a standby's lag, not a primary's).
    /// </summary>
    public static IEnumerable<PgHaCheckResult> Evaluate(ClusterSnapshot snapshot, NodeRecord node, IReadOnlySet<PgHaCheckName> checks, IReadOnlyDictionary<int, IReadOnlyList<IPAddress>> addresses)
    {
        var context = new NodeCheck(snapshot, node, snapshot.FactsOf(node), addresses);
        foreach (var (check, expected, rule) in Rules)
        {
            if (!checks.Contains(check))
            {
                continue;
            }
            if (context.Facts is null && !WithoutServer.Contains(check))
            {
                if (node.Active && expected(context))
                {
                    yield return context.Result(check, PgHaHealthStatus.Unknown,
                        $"Not checked: {node.Name} {(snapshot.IsUnasked(node) ? "was not asked: its registered conninfo cannot be used" : "did not answer")} (see its Connection check).");
                }
                continue;
            }
            if (rule(context) is { } result)
            {
                yield return result;
            }
        }
    }

    /// <summary>One node's view of the snapshot, and the way its results are made.</summary>
    internal sealed record NodeCheck(ClusterSnapshot Snapshot, NodeRecord Node, NodeFacts? Facts, IReadOnlyDictionary<int, IReadOnlyList<IPAddress>> Addresses)
    {
        public NodeFacts Present => Facts!;

        public CheckThresholds Limits => Snapshot.Thresholds;

        public bool IsDataNode => Node.Role != PgHaRole.Witness;

        /// <summary>A standby that really is in recovery: the replication checks apply to it.</summary>
        public bool IsReplicating => Node.Role == PgHaRole.Standby && Facts?.Probe.InRecovery == true;

        /// <summary>A data node other than the primary: the drift checks compare it with the primary.</summary>
        public bool IsComparedWithPrimary => IsDataNode && Node.Active && Snapshot.Primary is { } primary && primary.Id != Node.Id;

        public IEnumerable<NodeRecord> Downstreams => Snapshot.Nodes.Where(n => n.Active && n.Role == PgHaRole.Standby && n.UpstreamId == Node.Id);

        public PgHaCheckResult Result(PgHaCheckName check, PgHaHealthStatus status, string message, string? value = null, string? threshold = null,
            double? measure = null, string? unit = null, double? warning = null, double? critical = null, string? peer = null) => new()
            {
                Node = Node.Name,
                NodeId = Node.Id,
                Check = check,
                Status = status,
                Value = value,
                Threshold = threshold,
                Message = message,
                Peer = peer,
                Measure = measure,
                Unit = unit,
                WarningAbove = warning,
                CriticalAbove = critical,
                CheckedAt = Snapshot.CheckedAt,
            };

        public PgHaCheckResult Unreadable(PgHaCheckName check, string part) =>
            Result(check, PgHaHealthStatus.Unknown, $"Could not read it on {Node.Name}: {Present.WhyUnreadable(part)}. Run the check as a superuser or a member of pg_monitor.");

        /// <summary>Ok, Warning or Critical by two limits (strictly above, as repmgr).</summary>
        public static PgHaHealthStatus Grade(double value, double warning, double critical) =>
            value > critical ? PgHaHealthStatus.Critical : value > warning ? PgHaHealthStatus.Warning : PgHaHealthStatus.Ok;
    }

    private static PgHaCheckResult? Connection(NodeCheck c)
    {
        if (c.Facts is not null)
        {
            return c.Node.Active
                ? c.Result(PgHaCheckName.Connection, PgHaHealthStatus.Ok, $"{c.Node.Name} answers (PostgreSQL {c.Present.Probe.ServerVersion}).", "connected")
                : c.Result(PgHaCheckName.Connection, PgHaHealthStatus.Warning,
                    $"{c.Node.Name} is marked inactive in the metadata but its server runs: register it again (Register-PgHaNode -Force) or stop it (Stop-PgHaNode).", "connected", "inactive");
        }
        string why = c.Snapshot.Errors.TryGetValue(c.Node.Id, out string? error) ? error : "no answer";
        // A bad record is not a down server: the server was never asked, so the check could not be made.
        if (!RegisteredConninfo.TryParse(c.Node, out _, out string? problem))
        {
            return c.Result(PgHaCheckName.Connection, PgHaHealthStatus.Unknown,
                $"The registered conninfo of {c.Node.Name} cannot be parsed: {problem} PgHa did not try to connect, so whether its server runs is not known. "
                + $"Register it again with its correct conninfo and its other settings (Get-PgHaNode -Name {c.Node.Name} shows them): Register-PgHaNode -Role {c.Node.Role} -Name {c.Node.Name} -Conninfo '<conninfo>' -Force; or remove it (Unregister-PgHaNode).");
        }
        if (c.Snapshot.Unasked.Contains(c.Node.Id))
        {
            return c.Result(PgHaCheckName.Connection, PgHaHealthStatus.Unknown,
                $"PgHa did not try to connect to {c.Node.Name}, so whether its server runs is not known: {why}");
        }
        return c.Node.Active
            ? c.Result(PgHaCheckName.Connection, PgHaHealthStatus.Critical,
                $"{c.Node.Name} does not answer: {why} If it is down, start it (Start-PgHaNode); if it is lost, unregister it (Unregister-PgHaNode) and clone a new standby.", "unreachable")
            : c.Result(PgHaCheckName.Connection, PgHaHealthStatus.Ok, $"{c.Node.Name} is marked inactive and does not run, as expected.", "unreachable", "inactive");
    }

    private static PgHaCheckResult? Role(NodeCheck c)
    {
        bool inRecovery = c.Present.Probe.InRecovery;
        string running = inRecovery ? "standby" : c.Node.Role == PgHaRole.Witness ? "witness" : "primary";
        string registered = c.Node.Role.ToString().ToLowerInvariant();
        return (c.Node.Role, inRecovery) switch
        {
            (PgHaRole.Primary, false) or (PgHaRole.Standby, true) or (PgHaRole.Witness, false) =>
                c.Result(PgHaCheckName.Role, PgHaHealthStatus.Ok, $"{c.Node.Name} runs as a {running}, as registered.", running, registered),
            (PgHaRole.Standby, false) => c.Result(PgHaCheckName.Role, PgHaHealthStatus.Critical,
                $"{c.Node.Name} is registered as a standby but accepts writes. If it was promoted on purpose, register it with Register-PgHaNode -Role Primary -Force; otherwise stop it and rejoin it (Invoke-PgHaRejoin).", running, registered),
            (PgHaRole.Primary, true) => c.Result(PgHaCheckName.Role, PgHaHealthStatus.Critical,
                $"{c.Node.Name} is registered as the primary but is in recovery: the cluster may take no writes. Register the node that really is primary, or promote one (Invoke-PgHaPromote).", running, registered),
            _ => c.Result(PgHaCheckName.Role, PgHaHealthStatus.Critical,
                $"The witness {c.Node.Name} is in recovery; a witness must be a server of its own. Point its registration at a stand-alone server.", running, registered),
        };
    }

    private static PgHaCheckResult? Upstream(NodeCheck c)
    {
        if (!c.IsReplicating)
        {
            return null;
        }
        var probe = c.Present.Probe;
        NodeRecord? upstream = c.Node.UpstreamId is int up ? c.Snapshot.Nodes.FirstOrDefault(n => n.Id == up) : null;
        NodeRecord? sender = StreamingSender.Of(c.Node, probe, c.Snapshot.Nodes);
        string? from = sender?.Name ?? StreamingSender.Describe(probe);
        string expected = upstream?.Name ?? "(none registered)";
        if (probe.ReceiverStatus is null)
        {
            return c.Result(PgHaCheckName.Upstream, PgHaHealthStatus.Critical,
                $"{c.Node.Name} runs no WAL receiver: it is not streaming from {expected}. Check primary_conninfo and {expected}'s pg_hba.conf; the server log says why (Invoke-PgHaFollow points it at its upstream again).", "not streaming", expected);
        }
        if (probe.ReceiverStatus != "streaming")
        {
            return c.Result(PgHaCheckName.Upstream, PgHaHealthStatus.Warning,
                $"{c.Node.Name}'s WAL receiver is '{probe.ReceiverStatus}', not streaming, from {from}. It usually streams again within seconds; if not, see its server log.", probe.ReceiverStatus, expected);
        }
        if (upstream is null)
        {
            return c.Result(PgHaCheckName.Upstream, PgHaHealthStatus.Warning,
                $"{c.Node.Name} streams from {from} but no upstream is registered for it: register it again with -Force to record it.", from, expected);
        }
        if (sender?.Id != upstream.Id)
        {
            return c.Result(PgHaCheckName.Upstream, PgHaHealthStatus.Critical,
                $"{c.Node.Name} streams from {from}, but its registered upstream is {upstream.Name}: make it follow {upstream.Name} (Invoke-PgHaFollow), or register it again with -Upstream {from} -Force if the new upstream is meant.", from, expected);
        }
        return c.Result(PgHaCheckName.Upstream, PgHaHealthStatus.Ok, $"{c.Node.Name} streams from its registered upstream {upstream.Name}.", from, expected);
    }

    private static PgHaCheckResult? LagSeconds(NodeCheck c)
    {
        if (!c.IsReplicating)
        {
            return null;
        }
        double lag = c.Present.Probe.ReplayLagSeconds ?? 0;
        var limits = c.Limits;
        PgHaHealthStatus status = NodeCheck.Grade(lag, limits.LagWarningSeconds, limits.LagCriticalSeconds);
        string message = status == PgHaHealthStatus.Ok
            ? $"{c.Node.Name} replays {Seconds(lag)} behind the last transaction it received."
            : $"{c.Node.Name} replays {Seconds(lag)} behind: a failover to it now waits for (or loses) that much. Check whether replay is paused (pg_is_wal_replay_paused(); pg_wal_replay_resume() ends it), long queries hold it back (max_standby_streaming_delay), or its disk is slow.";
        return c.Result(PgHaCheckName.ReplicationLag, status, message, Seconds(lag), Limits(limits.LagWarningSeconds, limits.LagCriticalSeconds, Seconds),
            lag, "s", limits.LagWarningSeconds, limits.LagCriticalSeconds);
    }

    private static PgHaCheckResult? LagBytes(NodeCheck c)
    {
        if (!c.IsReplicating)
        {
            return null;
        }
        var limits = c.Limits;
        string threshold = Limits(limits.LagWarningBytes, limits.LagCriticalBytes, Bytes);
        if (c.Snapshot.PrimaryFacts?.Probe.CurrentLsn is not PgHaLsn primaryLsn || c.Present.Probe.ReplayLsn is not PgHaLsn replay)
        {
            return c.Result(PgHaCheckName.ReplicationLagBytes, PgHaHealthStatus.Unknown,
                $"The lag in bytes needs the primary's current WAL position, and the primary {(c.Snapshot.Primary?.Name ?? "(none registered)")} did not give it.", null, threshold);
        }
        long lag = Math.Max(0, primaryLsn.BytesSince(replay));
        PgHaHealthStatus status = NodeCheck.Grade(lag, limits.LagWarningBytes, limits.LagCriticalBytes);
        string message = status == PgHaHealthStatus.Ok
            ? $"{c.Node.Name} has replayed up to {Bytes(lag)} behind the primary's WAL."
            : $"{c.Node.Name} has replayed {Bytes(lag)} less WAL than the primary wrote: a failover to it waits for that replay, and a failover of the primary now loses what was not received. Check for paused replay (pg_wal_replay_resume()), the network, and the standby's disk.";
        return c.Result(PgHaCheckName.ReplicationLagBytes, status, message, Bytes(lag), threshold, lag, "B", limits.LagWarningBytes, limits.LagCriticalBytes);
    }

    private static PgHaCheckResult? ArchiveBacklog(NodeCheck c)
    {
        string mode = c.Present.ArchiveMode;
        bool archives = c.Present.Probe.InRecovery ? mode == "always" : mode is "on" or "always";
        if (!c.IsDataNode || (c.Present.Probe.InRecovery && !archives))
        {
            return null;
        }
        var limits = c.Limits;
        string threshold = Limits(limits.ArchiveReadyWarning, limits.ArchiveReadyCritical, n => $"{n:0} files");
        if (!archives)
        {
            return c.Result(PgHaCheckName.ArchiveBacklog, PgHaHealthStatus.Ok, $"archive_mode is {mode} on {c.Node.Name}: nothing waits to be archived.", "archiving off", threshold);
        }
        if (c.Present.ArchiveReady is not int ready)
        {
            return c.Unreadable(PgHaCheckName.ArchiveBacklog, "archive");
        }
        PgHaHealthStatus status = NodeCheck.Grade(ready, limits.ArchiveReadyWarning, limits.ArchiveReadyCritical);
        string failed = c.Present.LastFailedWal is null ? string.Empty : $" archive_command has failed {c.Present.ArchiveFailedCount} time(s), last for {c.Present.LastFailedWal}.";
        string message = status == PgHaHealthStatus.Ok
            ? $"{ready} WAL file(s) wait to be archived on {c.Node.Name}.{failed}"
            : $"{ready} WAL files wait to be archived on {c.Node.Name}: archive_command is failing or too slow, pg_wal grows until the disk is full, and a switchover waits for the archive.{failed} Fix archive_command (its errors are in the server log); the backlog then drains by itself.";
        return c.Result(PgHaCheckName.ArchiveBacklog, status, message, $"{ready} files", threshold, ready, "files", limits.ArchiveReadyWarning, limits.ArchiveReadyCritical);
    }

    private static PgHaCheckResult? Downstream(NodeCheck c)
    {
        var expected = c.Downstreams.ToList();
        if (expected.Count == 0)
        {
            return null;
        }
        var attached = c.Present.Senders.Select(s => s.ApplicationName).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Where(n => !attached.Contains(n.Name)).Select(n => n.Name).ToList();
        string value = $"{expected.Count - missing.Count} of {expected.Count}";
        return missing.Count == 0
            ? c.Result(PgHaCheckName.DownstreamStandbys, PgHaHealthStatus.Ok, $"All {expected.Count} standby(s) registered with {c.Node.Name} as upstream are attached.", value, $"{expected.Count} attached",
                expected.Count, "nodes")
            : c.Result(PgHaCheckName.DownstreamStandbys, PgHaHealthStatus.Critical,
                $"{string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} registered with {c.Node.Name} as upstream but not attached to it (no WAL sender with that application_name). See their Upstream and Connection checks.",
                value, $"{expected.Count} attached", expected.Count - missing.Count, "nodes");
    }

    private static PgHaCheckResult? InactiveSlots(NodeCheck c)
    {
        if (c.Present.WhyUnreadable("slots") is not null)
        {
            return c.Unreadable(PgHaCheckName.InactiveSlots, "slots");
        }
        var inactive = c.Present.Slots.Where(s => !s.Active).ToList();
        string value = $"{inactive.Count} of {c.Present.Slots.Count}";
        return inactive.Count == 0
            ? c.Result(PgHaCheckName.InactiveSlots, PgHaHealthStatus.Ok, $"{c.Node.Name} has {c.Present.Slots.Count} replication slot(s), none inactive.", value, "0 inactive", 0, "slots")
            : c.Result(PgHaCheckName.InactiveSlots, PgHaHealthStatus.Critical,
                $"Slot(s) {string.Join(", ", inactive.Select(s => s.Name))} on {c.Node.Name} have no consumer: they keep WAL until the disk is full. Bring their standby back, or drop the slot (SELECT pg_drop_replication_slot('name')) if nothing will use it again.",
                value, "0 inactive", inactive.Count, "slots");
    }

    private static PgHaCheckResult? SlotRetainedWal(NodeCheck c)
    {
        if (c.Present.WhyUnreadable("slots") is not null)
        {
            return c.Unreadable(PgHaCheckName.SlotRetainedWal, "slots");
        }
        var limits = c.Limits;
        string threshold = Limits(limits.SlotWalWarningBytes, limits.SlotWalCriticalBytes, Bytes);
        var lost = c.Present.Slots.Where(s => s.WalStatus is "lost" or "unreserved").ToList();
        var worst = c.Present.Slots.Where(s => s.RetainedBytes is not null).OrderByDescending(s => s.RetainedBytes).FirstOrDefault();
        long retained = worst?.RetainedBytes ?? 0;
        if (lost.Count > 0)
        {
            return c.Result(PgHaCheckName.SlotRetainedWal, PgHaHealthStatus.Critical,
                $"Slot(s) {string.Join(", ", lost.Select(s => $"{s.Name} ({s.WalStatus})"))} on {c.Node.Name} have lost or are about to lose the WAL their standby needs (max_slot_wal_keep_size): that standby must be cloned again.",
                Bytes(retained), threshold, retained, "B", limits.SlotWalWarningBytes, limits.SlotWalCriticalBytes);
        }
        PgHaHealthStatus status = NodeCheck.Grade(retained, limits.SlotWalWarningBytes, limits.SlotWalCriticalBytes);
        string message = worst is null
            ? $"No replication slot on {c.Node.Name} holds WAL back."
            : status == PgHaHealthStatus.Ok
                ? $"The slot that holds most, {worst.Name}, keeps {Bytes(retained)} of WAL on {c.Node.Name}."
                : $"Slot {worst.Name} on {c.Node.Name} keeps {Bytes(retained)} of WAL{(worst.Active ? string.Empty : " and has no consumer")}: pg_wal grows until the disk is full. Bring its standby back to streaming, or drop the slot if nothing will use it; max_slot_wal_keep_size caps it.";
        return c.Result(PgHaCheckName.SlotRetainedWal, status, message, Bytes(retained), threshold, retained, "B", limits.SlotWalWarningBytes, limits.SlotWalCriticalBytes);
    }

    private static PgHaCheckResult? MissingSlots(NodeCheck c)
    {
        var needed = c.Downstreams.Where(n => !string.IsNullOrEmpty(n.SlotName)).ToList();
        if (needed.Count == 0)
        {
            return null;
        }
        if (c.Present.WhyUnreadable("slots") is not null)
        {
            return c.Unreadable(PgHaCheckName.MissingSlots, "slots");
        }
        var existing = c.Present.Slots.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var missing = needed.Where(n => !existing.Contains(n.SlotName!)).ToList();
        return missing.Count == 0
            ? c.Result(PgHaCheckName.MissingSlots, PgHaHealthStatus.Ok, $"Every slot the standbys of {c.Node.Name} are registered with exists.", "0 missing", "0 missing", 0, "slots")
            : c.Result(PgHaCheckName.MissingSlots, PgHaHealthStatus.Critical,
                $"{string.Join(", ", missing.Select(n => $"{n.Name}'s slot {n.SlotName}"))} {(missing.Count == 1 ? "does" : "do")} not exist on {c.Node.Name}: without it the standby may lose WAL it still needs. Create it (SELECT pg_create_physical_replication_slot('{missing[0].SlotName}')) or make the standby follow again (Invoke-PgHaFollow), which creates it.",
                $"{missing.Count} missing", "0 missing", missing.Count, "slots");
    }

    private static PgHaCheckResult? DataDirectory(NodeCheck c)
    {
        if (c.Present.DataDirectory is not string actual)
        {
            return c.Unreadable(PgHaCheckName.DataDirectory, "settings");
        }
        if (string.IsNullOrEmpty(c.Node.DataDirectory))
        {
            return c.Result(PgHaCheckName.DataDirectory, PgHaHealthStatus.Ok,
                $"No data directory is registered for {c.Node.Name}, so there is nothing to compare; register it (Register-PgHaNode -DataDirectory {actual} -Force) so that start, stop, rejoin and this check can use it.", actual, null);
        }
        return string.Equals(actual.TrimEnd('/'), c.Node.DataDirectory.TrimEnd('/'), StringComparison.Ordinal)
            ? c.Result(PgHaCheckName.DataDirectory, PgHaHealthStatus.Ok, $"{c.Node.Name} runs from its registered data directory.", actual, c.Node.DataDirectory)
            : c.Result(PgHaCheckName.DataDirectory, PgHaHealthStatus.Critical,
                $"{c.Node.Name} runs from {actual}, but {c.Node.DataDirectory} is registered: start, stop, rejoin and fencing would act on the wrong directory. Register the real one (Register-PgHaNode -DataDirectory {actual} -Force).", actual, c.Node.DataDirectory);
    }

    private static PgHaCheckResult? RewindReady(NodeCheck c)
    {
        if (!c.IsDataNode)
        {
            return null;
        }
        string value = c.Present.DataChecksums ? "data checksums" : c.Present.WalLogHints ? "wal_log_hints" : "neither";
        return c.Present.WalLogHints || c.Present.DataChecksums
            ? c.Result(PgHaCheckName.RewindReady, PgHaHealthStatus.Ok, $"pg_rewind can rejoin {c.Node.Name} after a failover ({value} on).", value, "wal_log_hints or checksums")
            : c.Result(PgHaCheckName.RewindReady, PgHaHealthStatus.Warning,
                $"Neither wal_log_hints nor data checksums are on for {c.Node.Name}: after a failover it cannot be rejoined with pg_rewind, only cloned again. Set wal_log_hints = on and restart it (Restart-PgHaNode).", value, "wal_log_hints or checksums");
    }

    private static PgHaCheckResult? Monitor(NodeCheck c)
    {
        if (!c.Node.Active || c.Snapshot.Monitors is null || !c.Snapshot.Monitors.TryGetValue(c.Node.Id, out PgHaMonitorStatus? monitor))
        {
            return null;
        }
        string expectedPrimary = c.Snapshot.Primary?.Name ?? "(none registered)";
        if (!monitor.Running && !RegisteredConninfo.TryParse(c.Node, out _))
        {
            return c.Result(PgHaCheckName.Monitor, PgHaHealthStatus.Unknown,
                $"The monitor of {c.Node.Name} was not asked: its address comes from the registered conninfo, which cannot be parsed (see its Connection check).", null, $"primary {expectedPrimary}");
        }
        if (!monitor.Running)
        {
            return c.Result(PgHaCheckName.Monitor, PgHaHealthStatus.Warning,
                $"No monitor answered for {c.Node.Name} at {monitor.Endpoint} within {CheckResultText.Seconds(c.Limits.MonitorTimeout.TotalSeconds)}: if it is stopped, nothing fails over for this node or fences it. Start one on the node (Start-PgHaMonitor, or its systemd unit); if it runs, check that this computer reaches that port, or raise -MonitorTimeout.", "not running", $"primary {expectedPrimary}");
        }
        var running = c.Snapshot.Monitors.Values.Where(m => m.Running && m.Term is not null).ToList();
        long highest = running.Count == 0 ? 0 : running.Max(m => m.Term!.Value);
        string value = $"term {monitor.Term}, primary {monitor.Primary ?? "(none)"}";
        string threshold = $"term {highest}, primary {expectedPrimary}";
        if (monitor.Fenced == true)
        {
            return c.Result(PgHaCheckName.Monitor, PgHaHealthStatus.Critical,
                $"The monitor fenced {c.Node.Name} (it may only start read-only): rejoin it as a standby of {expectedPrimary} (Invoke-PgHaRejoin).", value + ", fenced", threshold);
        }
        if (monitor.Paused == true)
        {
            return c.Result(PgHaCheckName.Monitor, PgHaHealthStatus.Warning,
                $"The monitor of {c.Node.Name} is paused: no automatic failover and no fencing until Resume-PgHaMonitor.", value + ", paused", threshold);
        }
        if (monitor.Primary != c.Snapshot.Primary?.Name || (monitor.Term is long term && term < highest))
        {
            return c.Result(PgHaCheckName.Monitor, PgHaHealthStatus.Warning,
                $"The monitor of {c.Node.Name} takes {monitor.Primary ?? "no node"} for the primary in term {monitor.Term}, while the metadata names {expectedPrimary} and the highest term the monitors know is {highest}. It usually catches up within a check interval; if it stays, read its log (Start-PgHaMonitor -LogFile).",
                value, threshold);
        }
        return c.Result(PgHaCheckName.Monitor, PgHaHealthStatus.Ok, $"The monitor of {c.Node.Name} runs and agrees on the term and the primary.", value, threshold);
    }

    private static PgHaCheckResult? Timeline(NodeCheck c)
    {
        if (!c.IsComparedWithPrimary)
        {
            return null;
        }
        if (c.Snapshot.PrimaryFacts is not { } primary)
        {
            return c.Result(PgHaCheckName.Timeline, PgHaHealthStatus.Unknown, $"The primary {c.Snapshot.Primary!.Name} did not answer: there is no timeline to compare with.");
        }
        var probe = c.Present.Probe;
        if (probe.SystemIdentifier != primary.Probe.SystemIdentifier)
        {
            return c.Result(PgHaCheckName.Timeline, PgHaHealthStatus.Critical,
                $"{c.Node.Name}'s system identifier {probe.SystemIdentifier} is not the primary's {primary.Probe.SystemIdentifier}: it is not a copy of this cluster. Clone it again (New-PgHaStandby).",
                $"system {probe.SystemIdentifier}", $"system {primary.Probe.SystemIdentifier}");
        }
        string value = $"timeline {probe.Timeline}";
        string threshold = $"timeline {primary.Probe.Timeline}";
        return probe.Timeline == primary.Probe.Timeline
            ? c.Result(PgHaCheckName.Timeline, PgHaHealthStatus.Ok, $"{c.Node.Name} is on the primary's timeline.", value, threshold, probe.Timeline)
            : c.Result(PgHaCheckName.Timeline, PgHaHealthStatus.Critical,
                $"{c.Node.Name} is on timeline {probe.Timeline}, the primary on {primary.Probe.Timeline}: it does not follow the current primary. Make it follow (Invoke-PgHaFollow), or rejoin it (Invoke-PgHaRejoin) if it diverged.", value, threshold, probe.Timeline);
    }

    private static PgHaCheckResult? Metadata(NodeCheck c)
    {
        if (!IsComparedWithPrimaryMetadata(c))
        {
            return null;
        }
        NodeRecord primaryNode = c.Snapshot.Primary!;
        if (c.Snapshot.PrimaryFacts?.Metadata is not { } reference)
        {
            return c.Result(PgHaCheckName.Metadata, PgHaHealthStatus.Unknown, $"The primary {primaryNode.Name}'s metadata could not be read, so there is nothing to compare with.");
        }
        if (c.Present.Metadata is not { } copy)
        {
            return c.Unreadable(PgHaCheckName.Metadata, "metadata");
        }
        var differing = reference.Select(r => r.Name).Union(copy.Select(r => r.Name))
            .Where(name => reference.FirstOrDefault(r => r.Name == name) != copy.FirstOrDefault(r => r.Name == name))
            .ToList();
        string value = $"{differing.Count} differ";
        return differing.Count == 0
            ? c.Result(PgHaCheckName.Metadata, PgHaHealthStatus.Ok, $"{c.Node.Name}'s copy of the node records agrees with the primary's.", value, "0 differ", 0, "nodes")
            : c.Result(PgHaCheckName.Metadata, PgHaHealthStatus.Warning,
                $"{c.Node.Name}'s node records differ from the primary's for {string.Join(", ", differing)}: {(c.Node.Role == PgHaRole.Witness ? "its monitor copies them from the primary; start or restart it" : "it has not replayed the primary's latest change; see its ReplicationLag and Upstream checks")}.",
                value, "0 differ", differing.Count, "nodes");
    }

    private static PgHaCheckResult? StandbySettings(NodeCheck c)
    {
        if (!c.IsComparedWithPrimary)
        {
            return null;
        }
        NodeFacts? primary = c.Snapshot.PrimaryFacts;
        if (primary is null || primary.WhyUnreadable("standbysettings") is not null)
        {
            return c.Result(PgHaCheckName.StandbySettings, PgHaHealthStatus.Unknown, $"The primary {c.Snapshot.Primary!.Name}'s settings could not be read: {primary?.WhyUnreadable("standbysettings") ?? "it did not answer"}.");
        }
        if (c.Present.WhyUnreadable("standbysettings") is not null)
        {
            return c.Unreadable(PgHaCheckName.StandbySettings, "standbysettings");
        }
        var low = new List<string>();
        foreach (string name in NodeFactsReader.StandbyMinimumSettings)
        {
            if (!primary.StandbySettings.TryGetValue(name, out var wanted) || !c.Present.StandbySettings.TryGetValue(name, out var own))
            {
                continue;
            }
            long needed = Math.Max(wanted.Current, wanted.AfterRestart);
            if (own.Current < wanted.Current)
            {
                low.Add($"{name} {own.Current} < {wanted.Current}");
            }
            else if (own.AfterRestart < needed)
            {
                low.Add($"{name} {own.AfterRestart} after restart < {needed}");
            }
        }
        return low.Count == 0
            ? c.Result(PgHaCheckName.StandbySettings, PgHaHealthStatus.Ok, $"{c.Node.Name}'s {string.Join(", ", NodeFactsReader.StandbyMinimumSettings)} are at least the primary's, now and after a restart.", "not lower", "primary's values")
            : c.Result(PgHaCheckName.StandbySettings, PgHaHealthStatus.Critical,
                $"{c.Node.Name} has {string.Join("; ", low)} (the primary's): a hot standby with a lower value pauses replay, and does not start after its next restart. Set them at least as high as the primary's in its postgresql.conf (ALTER SYSTEM) and restart it.",
                string.Join("; ", low), "primary's values", low.Count, "settings");
    }

    private static PgHaCheckResult? PreloadLibraries(NodeCheck c)
    {
        if (!c.IsComparedWithPrimary)
        {
            return null;
        }
        if (c.Snapshot.PrimaryFacts is not { } primary)
        {
            return c.Result(PgHaCheckName.PreloadLibraries, PgHaHealthStatus.Unknown, $"The primary {c.Snapshot.Primary!.Name} did not answer: there is nothing to compare with.");
        }
        static string Normal(string list) => string.Join(",", list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        string own = Normal(c.Present.SharedPreloadLibraries), wanted = Normal(primary.SharedPreloadLibraries);
        return own == wanted
            ? c.Result(PgHaCheckName.PreloadLibraries, PgHaHealthStatus.Ok, $"{c.Node.Name} preloads the same libraries as the primary.", own.Length == 0 ? "(none)" : own, wanted.Length == 0 ? "(none)" : wanted)
            : c.Result(PgHaCheckName.PreloadLibraries, PgHaHealthStatus.Warning,
                $"{c.Node.Name} preloads '{c.Present.SharedPreloadLibraries}', the primary '{primary.SharedPreloadLibraries}': after a failover to it, what needs those libraries fails. Set shared_preload_libraries the same on every node and restart.",
                own.Length == 0 ? "(none)" : own, wanted.Length == 0 ? "(none)" : wanted);
    }

    private static PgHaCheckResult? Extensions(NodeCheck c)
    {
        if (!c.IsDataNode || !c.Node.Active)
        {
            return null;
        }
        if (c.Snapshot.PrimaryFacts is not { } primary || primary.InstalledExtensions is not { } installed)
        {
            return c.Result(PgHaCheckName.Extensions, PgHaHealthStatus.Unknown,
                $"The extensions installed on the primary could not be read: {c.Snapshot.PrimaryFacts?.WhyUnreadable("installed") ?? "the primary did not answer"}.");
        }
        if (c.Present.AvailableExtensions is not { } available)
        {
            return c.Unreadable(PgHaCheckName.Extensions, "extensions");
        }
        var missing = installed.Where(e => !available.Contains($"{e.Name}/{e.Version}"))
            .Select(e => $"{e.Name} {e.Version} ({e.Database})").Distinct().ToList();
        int versions = installed.Select(e => $"{e.Name}/{e.Version}").Distinct().Count();
        return missing.Count == 0
            ? c.Result(PgHaCheckName.Extensions, PgHaHealthStatus.Ok, $"The {versions} extension version(s) installed in the primary's databases are all available on {c.Node.Name}.", "0 missing", "0 missing", 0, "extensions")
            : c.Result(PgHaCheckName.Extensions, PgHaHealthStatus.Warning,
                $"Installed in the primary's databases but not available on {c.Node.Name}'s disk: {string.Join(", ", missing)}. After a failover to it they fail to load; install the same extension packages (and versions) on {c.Node.Name}.",
                $"{missing.Count} missing", "0 missing", missing.Count, "extensions");
    }

    private static PgHaCheckResult? ReplicationHba(NodeCheck c)
    {
        if (!c.IsDataNode || !c.Node.Active)
        {
            return null;
        }
        if (c.Present.HbaRules is not { } rules)
        {
            return c.Unreadable(PgHaCheckName.ReplicationHba, "hba");
        }
        var others = c.Snapshot.Nodes.Where(n => n.Active && n.Id != c.Node.Id && n.Role != PgHaRole.Witness).ToList();
        var refused = new List<string>();
        foreach (NodeRecord other in others)
        {
            ConnectionInfo? info = ConnectionInfo.TryParse(other.Conninfo, out var parsed, out _) ? parsed : null;
            string host = info is null ? string.Empty : NodeEndpoint.Of(info).Host;
            string user = info?.User ?? "postgres";
            IReadOnlyList<IPAddress> addresses = c.Addresses.TryGetValue(other.Id, out var resolved) ? resolved : [];
            var rule = HbaRuleMatcher.FirstMatch(rules, user, host, addresses);
            if (!HbaRuleMatcher.Admits(rule))
            {
                refused.Add(rule is null ? $"{other.Name} ({user}@{host}: no rule)" : $"{other.Name} ({user}@{host}: line {rule.Line} rejects)");
            }
        }
        string value = $"{others.Count - refused.Count} of {others.Count}";
        return refused.Count == 0
            ? c.Result(PgHaCheckName.ReplicationHba, PgHaHealthStatus.Ok, $"pg_hba.conf on {c.Node.Name} lets every other data node connect for replication.", value, $"{others.Count} admitted", others.Count - refused.Count, "nodes")
            : c.Result(PgHaCheckName.ReplicationHba, PgHaHealthStatus.Warning,
                $"pg_hba.conf on {c.Node.Name} does not let {string.Join(", ", refused)} connect for replication: once {c.Node.Name} is primary, they cannot stream from it. Add a 'host replication <user> <address> <method>' line for each and reload (SELECT pg_reload_conf()).",
                value, $"{others.Count} admitted", others.Count - refused.Count, "nodes");
    }

    private static PgHaCheckResult? ClockSkew(NodeCheck c)
    {
        if (!IsComparedWithPrimaryMetadata(c))
        {
            return null;
        }
        NodeRecord primaryNode = c.Snapshot.Primary!;
        var limits = c.Limits;
        string threshold = Limits(limits.ClockSkewWarningSeconds, limits.ClockSkewCriticalSeconds, Seconds);
        if (c.Snapshot.PrimaryFacts is not { } primary)
        {
            return c.Result(PgHaCheckName.ClockSkew, PgHaHealthStatus.Unknown, $"The primary {primaryNode.Name} did not answer: there is no clock to compare with.", null, threshold);
        }
        double skew = (c.Present.ClockOffset - primary.ClockOffset).TotalSeconds;
        PgHaHealthStatus status = NodeCheck.Grade(Math.Abs(skew), limits.ClockSkewWarningSeconds, limits.ClockSkewCriticalSeconds);
        string message = status == PgHaHealthStatus.Ok
            ? $"{c.Node.Name}'s clock is within {Seconds(Math.Abs(skew))} of the primary's (measured from here, to about half a round trip)."
            : $"{c.Node.Name}'s clock is {Seconds(skew)} off the primary's: lag in seconds, log times and the monitors' timeouts are wrong by that much. Run time synchronisation (chrony, systemd-timesyncd) on every node.";
        return c.Result(PgHaCheckName.ClockSkew, status, message, Seconds(skew), threshold, Math.Abs(skew), "s", limits.ClockSkewWarningSeconds, limits.ClockSkewCriticalSeconds);
    }
}
