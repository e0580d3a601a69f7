using PgHa;
using PgHa.Metadata;
using PgHa.Operations.Checks;
using PgHa.Sql;
using Xunit;

namespace PgHa.UnitTests.Checks;

/// <summary>The node and cluster check rules over made-up snapshots: what each finding turns into.</summary>
public sealed class CheckRulesTests
{
    private static readonly NodeRecord Node1 = new(1, "node1", PgHaRole.Primary, null, true, "dc1", 100, "host=10.0.0.11 port=5432 user=pgha dbname=pgha", null, "/data/1", null);
    private static readonly NodeRecord Node2 = new(2, "node2", PgHaRole.Standby, 1, true, "dc1", 100, "host=10.0.0.12 port=5432 user=pgha dbname=pgha", "node2_slot", "/data/2", null);
    private static readonly NodeRecord Node3 = new(3, "node3", PgHaRole.Standby, 1, true, "dc1", 100, "host=10.0.0.13 port=5432 user=pgha dbname=pgha", null, null, null);

    private static NodeFacts Primary(Func<NodeFacts, NodeFacts>? change = null)
    {
        var facts = new NodeFacts
        {
            Probe = new NodeProbeResult { InRecovery = false, SystemIdentifier = "42", Timeline = 2, CurrentLsn = PgHaLsn.Parse("0/5000000") },
            DataDirectory = "/data/1",
            WalLogHints = true,
            ArchiveMode = "on",
            ArchiveReady = 0,
            Slots = [new NodeFacts.SlotFacts("node2_slot", "physical", true, "reserved", 1000)],
            Senders = [("node2", "streaming"), ("node3", "streaming")],
            StandbySettings = new Dictionary<string, NodeFacts.SettingValue> { ["max_connections"] = new(100, 100) },
        };
        return change is null ? facts : change(facts);
    }

    private static NodeFacts Standby(string upstreamHost, Func<NodeFacts, NodeFacts>? change = null)
    {
        var facts = new NodeFacts
        {
            Probe = new NodeProbeResult
            {
                InRecovery = true, SystemIdentifier = "42", Timeline = 2, ReplayLsn = PgHaLsn.Parse("0/4F00000"), ReplayLagSeconds = 1,
                ReceiverStatus = "streaming", SenderHost = upstreamHost, SenderPort = 5432,
            },
            DataDirectory = "/data/2",
            WalLogHints = true,
            StandbySettings = new Dictionary<string, NodeFacts.SettingValue> { ["max_connections"] = new(100, 100) },
        };
        return change is null ? facts : change(facts);
    }

    private static ClusterSnapshot Snapshot(NodeFacts? node1, NodeFacts? node2, NodeFacts? node3, CheckThresholds? thresholds = null) => new()
    {
        Nodes = [Node1, Node2, Node3],
        Facts = new[] { (1, node1), (2, node2), (3, node3) }.Where(p => p.Item2 is not null).ToDictionary(p => p.Item1, p => p.Item2!),
        Errors = new[] { (1, node1), (2, node2), (3, node3) }.Where(p => p.Item2 is null).ToDictionary(p => p.Item1, _ => "Cannot connect: no answer within the connect timeout."),
        Thresholds = thresholds ?? new CheckThresholds(),
    };

    private static PgHaCheckResult Check(ClusterSnapshot snapshot, NodeRecord node, PgHaCheckName check) =>
        Assert.Single(NodeCheckRules.Evaluate(snapshot, node, new HashSet<PgHaCheckName> { check }, new Dictionary<int, IReadOnlyList<System.Net.IPAddress>>()));

    [Fact]
    public void AHealthyClusterIsOk()
    {
        var snapshot = Snapshot(Primary(), Standby("10.0.0.11"), Standby("10.0.0.11", f => f with { DataDirectory = "/anything" }));
        var all = new[] { Node1, Node2, Node3 }.SelectMany(n => NodeCheckRules.Evaluate(snapshot, n, CheckRun.NodeChecks, new Dictionary<int, IReadOnlyList<System.Net.IPAddress>>())).ToList();
        Assert.All(all, r => Assert.True(r.Status == PgHaHealthStatus.Ok, r + ": " + r.Message));
        Assert.Equal(PgHaHealthStatus.Ok, ClusterCheckRules.SinglePrimary(snapshot).Status);
    }

    [Theory]
    [InlineData(299.0, PgHaHealthStatus.Ok)]
    [InlineData(300.0, PgHaHealthStatus.Ok)]
    [InlineData(300.5, PgHaHealthStatus.Warning)]
    [InlineData(601.0, PgHaHealthStatus.Critical)]
    public void LagInSecondsUsesRepmgrsThresholdsStrictly(double lag, PgHaHealthStatus expected)
    {
        var snapshot = Snapshot(Primary(), Standby("10.0.0.11", f => f with { Probe = f.Probe with { ReplayLagSeconds = lag } }), Standby("10.0.0.11"));
        var result = Check(snapshot, Node2, PgHaCheckName.ReplicationLag);
        Assert.Equal(expected, result.Status);
        Assert.Equal(lag, result.Measure);
        Assert.Equal(300, result.WarningAbove);
        Assert.Equal(600, result.CriticalAbove);
    }

    [Fact]
    public void LagInBytesIsAgainstThePrimarysCurrentPosition_AndUnknownWithoutIt()
    {
        var result = Check(Snapshot(Primary(), Standby("10.0.0.11"), Standby("10.0.0.11"), new CheckThresholds { LagWarningBytes = 1 << 20 }), Node2, PgHaCheckName.ReplicationLagBytes);
        Assert.Equal(0x100000, result.Measure);
        Assert.Equal(PgHaHealthStatus.Ok, result.Status);
        Assert.Equal(PgHaHealthStatus.Unknown, Check(Snapshot(null, Standby("10.0.0.11"), Standby("10.0.0.11")), Node2, PgHaCheckName.ReplicationLagBytes).Status);
    }

    [Fact]
    public void AStandbyStreamingFromAnotherNodeThanItsUpstreamIsCritical()
    {
        var result = Check(Snapshot(Primary(), Standby("10.0.0.11"), Standby("10.0.0.12")), Node3, PgHaCheckName.Upstream);
        Assert.Equal(PgHaHealthStatus.Critical, result.Status);
        Assert.Equal("node2", result.Value);
        Assert.Equal("node1", result.Threshold);
    }

    [Fact]
    public void MissingDownstreamsAndSlotsAreCritical()
    {
        var primary = Primary(f => f with { Senders = [("node2", "streaming")], Slots = [] });
        var snapshot = Snapshot(primary, Standby("10.0.0.11"), Standby("10.0.0.11"));
        Assert.Equal(("1 of 2", PgHaHealthStatus.Critical), (Check(snapshot, Node1, PgHaCheckName.DownstreamStandbys).Value, Check(snapshot, Node1, PgHaCheckName.DownstreamStandbys).Status));
        var missing = Check(snapshot, Node1, PgHaCheckName.MissingSlots);
        Assert.Equal(PgHaHealthStatus.Critical, missing.Status);
        Assert.Contains("node2_slot", missing.Message);
    }

    [Theory]
    [InlineData(false, "reserved", 10L << 30, PgHaHealthStatus.Critical)]
    [InlineData(false, "reserved", 2L << 30, PgHaHealthStatus.Warning)]
    [InlineData(true, "lost", 0L, PgHaHealthStatus.Critical)]
    [InlineData(true, "reserved", 1000L, PgHaHealthStatus.Ok)]
    public void SlotsAreJudgedByTheWalTheyKeep(bool active, string walStatus, long retained, PgHaHealthStatus expected)
    {
        var primary = Primary(f => f with { Slots = [new NodeFacts.SlotFacts("s", "physical", active, walStatus, retained)] });
        Assert.Equal(expected, Check(Snapshot(primary, Standby("10.0.0.11"), Standby("10.0.0.11")), Node1, PgHaCheckName.SlotRetainedWal).Status);
    }

    [Fact]
    public void ASettingLowerAfterTheNextRestartIsCritical()
    {
        var standby = Standby("10.0.0.11", f => f with { StandbySettings = new Dictionary<string, NodeFacts.SettingValue> { ["max_connections"] = new(100, 50) } });
        var result = Check(Snapshot(Primary(), standby, Standby("10.0.0.11")), Node2, PgHaCheckName.StandbySettings);
        Assert.Equal(PgHaHealthStatus.Critical, result.Status);
        Assert.Equal("max_connections 50 after restart < 100", result.Value);
    }

    [Fact]
    public void AnUnreachableNodeIsCritical_ItsOtherChecksUnknown()
    {
        var snapshot = Snapshot(Primary(), null, Standby("10.0.0.11"));
        var results = NodeCheckRules.Evaluate(snapshot, Node2, new HashSet<PgHaCheckName> { PgHaCheckName.Connection, PgHaCheckName.Role, PgHaCheckName.ReplicationLag }, new Dictionary<int, IReadOnlyList<System.Net.IPAddress>>()).ToList();
        Assert.Equal([PgHaHealthStatus.Critical, PgHaHealthStatus.Unknown, PgHaHealthStatus.Unknown], results.Select(r => r.Status));
    }

    /// <summary>
    /// A registered conninfo that does not parse is a bad record, not a down server: nothing was asked, so
    /// Connection (and the monitor, whose address it gives) is Unknown, with the parser's words (never the
    /// password) and the way to mend the record, never "start it". Inactive or not, whether it runs is unknown.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ANodeWhoseRegisteredConninfoDoesNotParseIsUnknown_WithTheWayToRegisterItAgain(bool active)
    {
        var broken = Node2 with { Conninfo = "password=s3cret host=10.0.0.12 port", Active = active };
        var snapshot = Snapshot(Primary(), null, Standby("10.0.0.11")) with
        {
            Nodes = [Node1, broken, Node3],
            Monitors = new Dictionary<int, PgHaMonitorStatus> { [2] = new() { NodeId = 2, Name = "node2", Running = false, Endpoint = "(no address):7432" } },
        };
        var results = NodeCheckRules.Evaluate(snapshot, broken, CheckRun.NodeChecks, new Dictionary<int, IReadOnlyList<System.Net.IPAddress>>()).ToList();

        var connection = results.Single(r => r.Check == PgHaCheckName.Connection);
        Assert.Equal(PgHaHealthStatus.Unknown, connection.Status);
        Assert.Contains("The registered conninfo of node2 cannot be parsed: Invalid connection string: missing \"=\" after \"port\"", connection.Message);
        Assert.Contains("Register-PgHaNode -Role Standby -Name node2 -Conninfo '<conninfo>' -Force", connection.Message);
        Assert.DoesNotContain("Start-PgHaNode", connection.Message);
        Assert.All(results, r => Assert.DoesNotContain("s3cret", r.Message));
        if (active)
        {
            Assert.All(results, r => Assert.Equal(PgHaHealthStatus.Unknown, r.Status));
            Assert.Contains("was not asked", results.Single(r => r.Check == PgHaCheckName.Role).Message);
            Assert.Contains("registered conninfo, which cannot be parsed", results.Single(r => r.Check == PgHaCheckName.Monitor).Message);
        }
        else
        {
            Assert.Equal([PgHaCheckName.Connection], results.Select(r => r.Check));
        }
    }

    /// <summary>A registered conninfo that parses but that PgHa cannot honour (PgHaConninfoInvalid before any connect) is Unknown too, with that error.</summary>
    [Fact]
    public void ANodeWhoseRegisteredConninfoCannotBeUsedIsUnknown()
    {
        const string why = "The conninfo 'host=10.0.0.12 requirepeer=postgres' cannot be used: requirepeer is not supported. Correct it (and register the node again with -Force if it is a registered conninfo).";
        var snapshot = Snapshot(Primary(), null, Standby("10.0.0.11")) with { Errors = new Dictionary<int, string> { [2] = why }, Unasked = new HashSet<int> { 2 } };
        var connection = Check(snapshot, Node2, PgHaCheckName.Connection);
        Assert.Equal(PgHaHealthStatus.Unknown, connection.Status);
        Assert.Equal($"PgHa did not try to connect to node2, so whether its server runs is not known: {why}", connection.Message);
        Assert.Contains("was not asked", Check(snapshot, Node2, PgHaCheckName.ReplicationLag).Message);
    }

    [Fact]
    public void NoWritableNodeIsUnknownWhenTheRegisteredPrimaryWasNotAsked_CriticalWhenItDidNotAnswer()
    {
        var broken = Node1 with { Conninfo = "host=10.0.0.11 port" };
        var unasked = Snapshot(null, Standby("10.0.0.11"), Standby("10.0.0.11")) with { Nodes = [broken, Node2, Node3] };
        var result = ClusterCheckRules.SinglePrimary(unasked);
        Assert.Equal(PgHaHealthStatus.Unknown, result.Status);
        Assert.Contains("node1 was not asked", result.Message);
        Assert.Equal(PgHaHealthStatus.Critical, ClusterCheckRules.SinglePrimary(Snapshot(null, Standby("10.0.0.11"), Standby("10.0.0.11"))).Status);
    }

    [Fact]
    public void TwoWritableNodesAreSplitBrain_AndNoneIsCritical()
    {
        var split = ClusterCheckRules.SinglePrimary(Snapshot(Primary(), Standby("10.0.0.11", f => f with { Probe = f.Probe with { InRecovery = false } }), Standby("10.0.0.11")));
        Assert.Equal(PgHaHealthStatus.Critical, split.Status);
        Assert.Contains("split brain", split.Message);
        var none = ClusterCheckRules.SinglePrimary(Snapshot(null, Standby("10.0.0.11"), Standby("10.0.0.11")));
        Assert.Equal(PgHaHealthStatus.Critical, none.Status);
        Assert.Contains("node1 does not answer", none.Message);
    }

    [Fact]
    public void AnotherTimelineOrSystemIsCritical()
    {
        var other = Standby("10.0.0.11", f => f with { Probe = f.Probe with { Timeline = 1 } });
        Assert.Equal(PgHaHealthStatus.Critical, Check(Snapshot(Primary(), other, Standby("10.0.0.11")), Node2, PgHaCheckName.Timeline).Status);
        var stranger = Standby("10.0.0.11", f => f with { Probe = f.Probe with { SystemIdentifier = "7" } });
        Assert.Contains("not a copy of this cluster", Check(Snapshot(Primary(), stranger, Standby("10.0.0.11")), Node2, PgHaCheckName.Timeline).Message);
    }

    [Fact]
    public void MonitorsThatDisagreeOrDoNotRunAreWarnings()
    {
        var snapshot = Snapshot(Primary(), Standby("10.0.0.11"), Standby("10.0.0.11")) with
        {
            Monitors = new Dictionary<int, PgHaMonitorStatus>
            {
                [1] = new() { NodeId = 1, Name = "node1", Running = true, Term = 3, Primary = "node1" },
                [2] = new() { NodeId = 2, Name = "node2", Running = true, Term = 2, Primary = "node1" },
                [3] = new() { NodeId = 3, Name = "node3", Running = false, Endpoint = "10.0.0.13:7432" },
            },
        };
        Assert.Equal(PgHaHealthStatus.Ok, Check(snapshot, Node1, PgHaCheckName.Monitor).Status);
        Assert.Equal(PgHaHealthStatus.Warning, Check(snapshot, Node2, PgHaCheckName.Monitor).Status);
        Assert.Equal("not running", Check(snapshot, Node3, PgHaCheckName.Monitor).Value);
    }

    [Fact]
    public void AWitnessGetsOnlyTheChecksThatApplyToIt()
    {
        var witness = new NodeRecord(4, "witness", PgHaRole.Witness, null, true, "dc2", 0, "host=10.0.0.14 port=5432 user=pgha dbname=pgha", null, null, null);
        var snapshot = Snapshot(Primary(), Standby("10.0.0.11"), Standby("10.0.0.11")) with
        {
            Nodes = [Node1, Node2, Node3, witness],
            Facts = new Dictionary<int, NodeFacts>
            {
                [1] = Primary(f => f with { Metadata = [Node1, Node2, Node3, witness] }), [2] = Standby("10.0.0.11"), [3] = Standby("10.0.0.11"),
                [4] = Primary(f => f with { Probe = f.Probe with { SystemIdentifier = "99", Timeline = 1 }, Senders = [], Slots = [], DataDirectory = "/w", Metadata = [Node1, Node2, Node3, witness] }),
            },
        };
        var results = NodeCheckRules.Evaluate(snapshot, witness, CheckRun.AllChecks, new Dictionary<int, IReadOnlyList<System.Net.IPAddress>>()).ToList();
        Assert.All(results, r => Assert.True(r.Status == PgHaHealthStatus.Ok, r + ": " + r.Message));
        Assert.Equal("witness", results.Single(r => r.Check == PgHaCheckName.Role).Value);
        Assert.DoesNotContain(results, r => r.Check is PgHaCheckName.Timeline or PgHaCheckName.ArchiveBacklog or PgHaCheckName.RewindReady or PgHaCheckName.StandbySettings or PgHaCheckName.ReplicationHba);
    }

    [Fact]
    public void AnUnansweredNodeIsUnknownOnlyForTheChecksItsRegisteredRoleGets()
    {
        var checks = CheckRun.AllChecks;
        var none = new Dictionary<int, IReadOnlyList<System.Net.IPAddress>>();
        var standbyDown = NodeCheckRules.Evaluate(Snapshot(Primary(), Standby("10.0.0.11"), null), Node3, checks, none).ToList();
        Assert.Equal(PgHaHealthStatus.Critical, standbyDown.Single(r => r.Check == PgHaCheckName.Connection).Status);
        Assert.All(standbyDown.Where(r => r.Check != PgHaCheckName.Connection), r => Assert.Equal(PgHaHealthStatus.Unknown, r.Status));
        // A standby without downstreams or a registered data directory: no archive, downstream, slot or directory rows.
        Assert.Equal(
            [PgHaCheckName.Connection, PgHaCheckName.Role, PgHaCheckName.Upstream, PgHaCheckName.ReplicationLag, PgHaCheckName.ReplicationLagBytes,
             PgHaCheckName.RewindReady, PgHaCheckName.Timeline, PgHaCheckName.Metadata, PgHaCheckName.StandbySettings, PgHaCheckName.PreloadLibraries,
             PgHaCheckName.Extensions, PgHaCheckName.ReplicationHba, PgHaCheckName.ClockSkew],
            standbyDown.Select(r => r.Check));

        var primaryDown = NodeCheckRules.Evaluate(Snapshot(null, Standby("10.0.0.11"), Standby("10.0.0.11")), Node1, checks, none).ToList();
        Assert.Equal(
            [PgHaCheckName.Connection, PgHaCheckName.Role, PgHaCheckName.ArchiveBacklog, PgHaCheckName.DownstreamStandbys, PgHaCheckName.InactiveSlots,
             PgHaCheckName.SlotRetainedWal, PgHaCheckName.MissingSlots, PgHaCheckName.DataDirectory, PgHaCheckName.RewindReady,
             PgHaCheckName.Extensions, PgHaCheckName.ReplicationHba],
            primaryDown.Select(r => r.Check));
    }

    [Theory]
    [InlineData(PgHaRole.Standby, false, "primary", PgHaHealthStatus.Critical)]
    [InlineData(PgHaRole.Primary, true, "standby", PgHaHealthStatus.Critical)]
    [InlineData(PgHaRole.Standby, true, "standby", PgHaHealthStatus.Ok)]
    [InlineData(PgHaRole.Primary, false, "primary", PgHaHealthStatus.Ok)]
    public void TheRoleAsRunIsHeldAgainstTheRoleAsRegistered(PgHaRole registered, bool inRecovery, string running, PgHaHealthStatus expected)
    {
        var node = Node2 with { Role = registered };
        var snapshot = Snapshot(Primary(), Standby("10.0.0.11", f => f with { Probe = f.Probe with { InRecovery = inRecovery } }), Standby("10.0.0.11")) with
        {
            Nodes = [Node1, node, Node3],
        };
        var result = Check(snapshot, node, PgHaCheckName.Role);
        Assert.Equal(expected, result.Status);
        Assert.Equal(running, result.Value);
        Assert.Equal(registered.ToString().ToLowerInvariant(), result.Threshold);
    }

    [Fact]
    public void AWitnessInRecoveryIsCritical()
    {
        var witness = new NodeRecord(4, "witness", PgHaRole.Witness, null, true, "dc2", 0, "host=10.0.0.14 port=5432 user=pgha dbname=pgha", null, null, null);
        var snapshot = Snapshot(Primary(), Standby("10.0.0.11"), Standby("10.0.0.11")) with
        {
            Nodes = [Node1, Node2, Node3, witness],
            Facts = new Dictionary<int, NodeFacts> { [1] = Primary(), [2] = Standby("10.0.0.11"), [3] = Standby("10.0.0.11"), [4] = Standby("10.0.0.11") },
        };
        var result = Check(snapshot, witness, PgHaCheckName.Role);
        Assert.Equal(PgHaHealthStatus.Critical, result.Status);
        Assert.Contains("a witness must be a server of its own", result.Message);
    }

    [Theory]
    [InlineData("on", 16, PgHaHealthStatus.Ok)]
    [InlineData("on", 17, PgHaHealthStatus.Warning)]
    [InlineData("always", 128, PgHaHealthStatus.Warning)]
    [InlineData("on", 129, PgHaHealthStatus.Critical)]
    public void TheArchiveBacklogUsesRepmgrsThresholdsStrictly(string mode, int ready, PgHaHealthStatus expected)
    {
        var primary = Primary(f => f with { ArchiveMode = mode, ArchiveReady = ready, ArchiveFailedCount = 3, LastFailedWal = "000000020000000000000005" });
        var result = Check(Snapshot(primary, Standby("10.0.0.11"), Standby("10.0.0.11")), Node1, PgHaCheckName.ArchiveBacklog);
        Assert.Equal(expected, result.Status);
        Assert.Equal($"{ready} files", result.Value);
        Assert.Equal((16.0, 128.0), (result.WarningAbove, result.CriticalAbove));
        Assert.Contains("archive_command has failed 3 time(s), last for 000000020000000000000005", result.Message);
    }

    [Fact]
    public void TheArchiveBacklogIsOkWithArchivingOff_UnknownWhenUnreadable_AndOnAStandbyOnlyWithArchiveModeAlways()
    {
        var off = Check(Snapshot(Primary(f => f with { ArchiveMode = "off" }), Standby("10.0.0.11"), Standby("10.0.0.11")), Node1, PgHaCheckName.ArchiveBacklog);
        Assert.Equal((PgHaHealthStatus.Ok, "archiving off"), (off.Status, off.Value));
        var unreadable = Primary(f => f with { ArchiveReady = null, Unreadable = new Dictionary<string, string> { ["archive"] = "permission denied for function pg_ls_archive_statusdir (SQLSTATE 42501)" } });
        var unknown = Check(Snapshot(unreadable, Standby("10.0.0.11"), Standby("10.0.0.11")), Node1, PgHaCheckName.ArchiveBacklog);
        Assert.Equal(PgHaHealthStatus.Unknown, unknown.Status);
        Assert.Contains("pg_monitor", unknown.Message);

        var checks = new HashSet<PgHaCheckName> { PgHaCheckName.ArchiveBacklog };
        var none = new Dictionary<int, IReadOnlyList<System.Net.IPAddress>>();
        Assert.Empty(NodeCheckRules.Evaluate(Snapshot(Primary(), Standby("10.0.0.11", f => f with { ArchiveMode = "on", ArchiveReady = 500 }), Standby("10.0.0.11")), Node2, checks, none));
        var always = Standby("10.0.0.11", f => f with { ArchiveMode = "always", ArchiveReady = 500 });
        Assert.Equal(PgHaHealthStatus.Critical, Check(Snapshot(Primary(), always, Standby("10.0.0.11")), Node2, PgHaCheckName.ArchiveBacklog).Status);
    }

    [Theory]
    [InlineData("/data/2", PgHaHealthStatus.Ok)]
    [InlineData("/data/2/", PgHaHealthStatus.Ok)]
    [InlineData("/srv/old/2", PgHaHealthStatus.Critical)]
    public void TheDataDirectoryMustBeTheRegisteredOne(string running, PgHaHealthStatus expected)
    {
        var result = Check(Snapshot(Primary(), Standby("10.0.0.11", f => f with { DataDirectory = running }), Standby("10.0.0.11")), Node2, PgHaCheckName.DataDirectory);
        Assert.Equal(expected, result.Status);
        Assert.Equal((running, "/data/2"), (result.Value, result.Threshold));
        if (expected == PgHaHealthStatus.Critical)
        {
            Assert.Contains($"Register-PgHaNode -DataDirectory {running} -Force", result.Message);
        }
    }

    [Fact]
    public void ADataDirectoryThatIsNotRegisteredIsOkWithAHint_AndUnknownWhenUnreadable()
    {
        var unregistered = Check(Snapshot(Primary(), Standby("10.0.0.11"), Standby("10.0.0.11", f => f with { DataDirectory = "/data/3" })), Node3, PgHaCheckName.DataDirectory);
        Assert.Equal(PgHaHealthStatus.Ok, unregistered.Status);
        Assert.Contains("Register-PgHaNode -DataDirectory /data/3 -Force", unregistered.Message);
        var unreadable = Standby("10.0.0.11", f => f with { DataDirectory = null, Unreadable = new Dictionary<string, string> { ["settings"] = "no" } });
        Assert.Equal(PgHaHealthStatus.Unknown, Check(Snapshot(Primary(), unreadable, Standby("10.0.0.11")), Node2, PgHaCheckName.DataDirectory).Status);
    }

    [Theory]
    [InlineData(true, false, PgHaHealthStatus.Ok, "wal_log_hints")]
    [InlineData(false, true, PgHaHealthStatus.Ok, "data checksums")]
    [InlineData(true, true, PgHaHealthStatus.Ok, "data checksums")]
    [InlineData(false, false, PgHaHealthStatus.Warning, "neither")]
    public void RewindNeedsWalLogHintsOrChecksums(bool walLogHints, bool checksums, PgHaHealthStatus expected, string value)
    {
        var standby = Standby("10.0.0.11", f => f with { WalLogHints = walLogHints, DataChecksums = checksums });
        var result = Check(Snapshot(Primary(), standby, Standby("10.0.0.11")), Node2, PgHaCheckName.RewindReady);
        Assert.Equal((expected, value), (result.Status, result.Value));
    }

    [Fact]
    public void AMetadataCopyThatDiffersFromThePrimarysIsAWarning_NamingTheRecords()
    {
        NodeRecord[] reference = [Node1, Node2, Node3];
        var stale = new[] { Node1, Node2 with { DataDirectory = "/old/2" }, Node3 };
        var snapshot = Snapshot(Primary(f => f with { Metadata = reference }), Standby("10.0.0.11", f => f with { Metadata = reference }),
            Standby("10.0.0.11", f => f with { Metadata = stale }));
        Assert.Equal(PgHaHealthStatus.Ok, Check(snapshot, Node2, PgHaCheckName.Metadata).Status);
        var differs = Check(snapshot, Node3, PgHaCheckName.Metadata);
        Assert.Equal((PgHaHealthStatus.Warning, "1 differ"), (differs.Status, differs.Value));
        Assert.Contains("differ from the primary's for node2", differs.Message);
        Assert.Contains("ReplicationLag", differs.Message);
        // A record only one side has differs too; the primary itself is not compared.
        var missing = Check(snapshot with { Facts = new Dictionary<int, NodeFacts>(snapshot.Facts) { [3] = snapshot.Facts[3] with { Metadata = [Node1, Node2] } } }, Node3, PgHaCheckName.Metadata);
        Assert.Contains("node3", missing.Message);
        Assert.Empty(NodeCheckRules.Evaluate(snapshot, Node1, new HashSet<PgHaCheckName> { PgHaCheckName.Metadata }, new Dictionary<int, IReadOnlyList<System.Net.IPAddress>>()));
    }

    [Fact]
    public void MetadataIsUnknownWhenThePrimarysCopyCannotBeRead()
    {
        var snapshot = Snapshot(Primary(), Standby("10.0.0.11", f => f with { Metadata = [Node1, Node2, Node3] }), Standby("10.0.0.11"));
        Assert.Equal(PgHaHealthStatus.Unknown, Check(snapshot, Node2, PgHaCheckName.Metadata).Status);
    }

    [Theory]
    [InlineData("", "", PgHaHealthStatus.Ok)]
    [InlineData("pg_stat_statements, auto_explain", "auto_explain,pg_stat_statements", PgHaHealthStatus.Ok)]
    [InlineData("pg_stat_statements", "", PgHaHealthStatus.Warning)]
    [InlineData("", "timescaledb", PgHaHealthStatus.Warning)]
    public void PreloadLibrariesMustBeThePrimarys_InAnyOrder(string primary, string standby, PgHaHealthStatus expected)
    {
        var snapshot = Snapshot(Primary(f => f with { SharedPreloadLibraries = primary }), Standby("10.0.0.11", f => f with { SharedPreloadLibraries = standby }), Standby("10.0.0.11"));
        var result = Check(snapshot, Node2, PgHaCheckName.PreloadLibraries);
        Assert.Equal(expected, result.Status);
        Assert.Equal(standby.Length == 0 ? "(none)" : string.Join(",", standby.Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)), result.Value);
        Assert.Equal(PgHaHealthStatus.Unknown, Check(Snapshot(null, Standby("10.0.0.11"), Standby("10.0.0.11")), Node2, PgHaCheckName.PreloadLibraries).Status);
    }

    [Theory]
    [InlineData(0.4, PgHaHealthStatus.Ok)]
    [InlineData(-1.5, PgHaHealthStatus.Warning)]
    [InlineData(2.0, PgHaHealthStatus.Warning)]
    [InlineData(-11.0, PgHaHealthStatus.Critical)]
    public void ClockSkewIsAgainstThePrimarysClock_EitherWay(double seconds, PgHaHealthStatus expected)
    {
        var primary = Primary(f => f with { ClockOffset = TimeSpan.FromSeconds(5) });
        var standby = Standby("10.0.0.11", f => f with { ClockOffset = TimeSpan.FromSeconds(5 + seconds) });
        var result = Check(Snapshot(primary, standby, Standby("10.0.0.11")), Node2, PgHaCheckName.ClockSkew);
        Assert.Equal(expected, result.Status);
        Assert.Equal(Math.Abs(seconds), result.Measure!.Value, 3);
        Assert.Equal((1.0, 10.0), (result.WarningAbove, result.CriticalAbove));
        Assert.Equal(PgHaHealthStatus.Unknown, Check(Snapshot(null, standby, Standby("10.0.0.11")), Node2, PgHaCheckName.ClockSkew).Status);
    }

    [Fact]
    public void AnExtensionInstalledOnThePrimaryButNotAvailableOnANodeIsAWarningForThatNodeOnly()
    {
        NodeFacts.InstalledExtension[] installed =
        [
            new("postgres", "plpgsql", "1.0"), new("app", "pgcrypto", "1.3"), new("reports", "pgcrypto", "1.3"), new("app", "citext", "1.6"),
        ];
        var everything = new HashSet<string>(StringComparer.Ordinal) { "plpgsql/1.0", "pgcrypto/1.3", "citext/1.6" };
        var primary = Primary(f => f with { InstalledExtensions = installed, AvailableExtensions = everything });
        var complete = Standby("10.0.0.11", f => f with { AvailableExtensions = everything });
        // node3's installation lacks pgcrypto, and has citext only in another version.
        var lacking = Standby("10.0.0.11", f => f with { AvailableExtensions = new HashSet<string>(StringComparer.Ordinal) { "plpgsql/1.0", "citext/1.5" } });
        var snapshot = Snapshot(primary, complete, lacking);

        Assert.Equal((PgHaHealthStatus.Ok, "0 missing"), (Check(snapshot, Node1, PgHaCheckName.Extensions).Status, Check(snapshot, Node1, PgHaCheckName.Extensions).Value));
        Assert.Equal(PgHaHealthStatus.Ok, Check(snapshot, Node2, PgHaCheckName.Extensions).Status);
        var missing = Check(snapshot, Node3, PgHaCheckName.Extensions);
        Assert.Equal((PgHaHealthStatus.Warning, "3 missing", 3.0), (missing.Status, missing.Value, missing.Measure));
        Assert.Contains("pgcrypto 1.3 (app), pgcrypto 1.3 (reports), citext 1.6 (app)", missing.Message);
        Assert.Contains("install the same extension packages (and versions) on node3", missing.Message);
    }

    [Fact]
    public void ExtensionsAreUnknownWhenThePrimarysCannotBeRead_OrTheNodesAvailableOnes()
    {
        var available = new HashSet<string>(StringComparer.Ordinal) { "plpgsql/1.0" };
        var primaryRefused = Primary(f => f with { Unreadable = new Dictionary<string, string> { ["installed"] = "permission denied for database app" } });
        var unknown = Check(Snapshot(primaryRefused, Standby("10.0.0.11", f => f with { AvailableExtensions = available }), Standby("10.0.0.11")), Node2, PgHaCheckName.Extensions);
        Assert.Equal(PgHaHealthStatus.Unknown, unknown.Status);
        Assert.Contains("permission denied for database app", unknown.Message);

        var primary = Primary(f => f with { InstalledExtensions = [new("postgres", "plpgsql", "1.0")], AvailableExtensions = available });
        var standbyRefused = Standby("10.0.0.11", f => f with { Unreadable = new Dictionary<string, string> { ["extensions"] = "no" } });
        Assert.Equal(PgHaHealthStatus.Unknown, Check(Snapshot(primary, standbyRefused, Standby("10.0.0.11")), Node2, PgHaCheckName.Extensions).Status);
    }

    [Fact]
    public void InvertedThresholdsAreNamed()
    {
        Assert.Null(new CheckThresholds().FirstInverted());
        Assert.StartsWith("-ArchiveReadyWarning 200", new CheckThresholds { ArchiveReadyWarning = 200 }.FirstInverted());
    }
}
