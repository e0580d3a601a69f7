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
    public void InvertedThresholdsAreNamed()
    {
        Assert.Null(new CheckThresholds().FirstInverted());
        Assert.StartsWith("-ArchiveReadyWarning 200", new CheckThresholds { ArchiveReadyWarning = 200 }.FirstInverted());
    }
}
