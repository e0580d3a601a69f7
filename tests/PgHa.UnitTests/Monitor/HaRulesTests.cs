using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>
/// The monitor's round as a table: each row is one situation (a snapshot) and the one action it must lead to.
/// The rows are written from the node's point of view in the failure it is in, not from the code.
/// </summary>
public sealed class HaRulesTests
{
    private const long Now = 100_000;

    /// <summary>node2, a healthy standby of node1 in term 3, automatic failover.</summary>
    private static readonly HaSnapshot Standby = new()
    {
        NowMs = Now,
        SelfName = "node2",
        LeaderName = "node1",
        Registered = PgHaRole.Standby,
        Priority = 100,
        Automatic = true,
        StalePrimary = PgHaStalePrimaryAction.Rejoin,
        ServerRunning = true,
        InRecovery = true,
        Term = 3,
        LeaderId = 1,
        LeaderVouched = true,
        LeaderWritable = true,
        RoleChangeDue = true,
        ConfirmedDownGrace = TimeSpan.FromSeconds(1),
    };

    /// <summary>node1, the writable leader of term 3.</summary>
    private static readonly HaSnapshot Primary = Standby with
    {
        SelfName = "node1", Registered = PgHaRole.Primary, InRecovery = false, LeaderId = 1, IsLeader = true,
    };

    /// <summary>node1, the leader of term 3, whose server stopped 0.5 s ago.</summary>
    private static readonly HaSnapshot StoppedPrimary = Primary with { ServerRunning = false, InRecovery = null, DownSinceMs = Now - 500 };

    private static readonly (string Situation, HaSnapshot Snapshot, HaAction Expected)[] Table =
    [
        // The witness only keeps its copy of the metadata, whatever else holds.
        ("witness", Standby with { Registered = PgHaRole.Witness, LeaderFailed = true }, new HaAction.SyncWitness()),

        // A writable node.
        ("the leader leads", Primary, new HaAction.Lead(false)),
        ("the leader whose server came back removes its own signal", Primary with { SignalPlacedByMe = true }, new HaAction.Lead(true)),
        ("a writable node while another leads is fenced", Primary with { IsLeader = false, LeaderId = 2, Term = 4, LeaderName = "node2" },
            new HaAction.FenceStale("it runs as a primary, but node2 leads term 4")),
        ("a writable node while another leads is left alone while paused (a switchover in progress)", Primary with { IsLeader = false, LeaderId = 2, Term = 4, LeaderName = "node2", Paused = true },
            new HaAction.Wait("node1 runs as a primary while node2 leads term 4; monitoring is paused, so it is left alone.")),
        ("a writable standby-registered node that leads (promoted by hand) leads", Standby with { InRecovery = false, IsLeader = true, LeaderId = 2 },
            new HaAction.Lead(false)),

        // A primary whose server stopped.
        ("stopped primary within the grace waits", StoppedPrimary, new HaAction.Wait()),
        ("stopped primary after the grace is fenced", StoppedPrimary with { DownSinceMs = Now - 1_000 }, new HaAction.FenceStopped()),
        ("stopped primary: not fenced while paused", StoppedPrimary with { DownSinceMs = Now - 5_000, Paused = true }, new HaAction.Wait()),
        ("fenced, and still the leader: waits for the election", StoppedPrimary with { Fenced = true, DownSinceMs = Now - 5_000 }, new HaAction.Wait()),
        ("fenced, another node leads: rejoins", StoppedPrimary with { Fenced = true, IsLeader = false, LeaderId = 2, Term = 4 }, new HaAction.Rejoin()),
        ("rejoin: not before the retry delay", StoppedPrimary with { Fenced = true, IsLeader = false, LeaderId = 2, Term = 4, RoleChangeDue = false }, new HaAction.Wait()),
        ("rejoin: not when told to stay fenced", StoppedPrimary with { Fenced = true, IsLeader = false, LeaderId = 2, Term = 4, StalePrimary = PgHaStalePrimaryAction.Fence },
            new HaAction.Wait()),
        ("a registered primary that never ran and is not fenced waits out the grace", StoppedPrimary with { IsLeader = false, LeaderId = 2 }, new HaAction.Wait()),

        // A standby.
        ("a standby of a live leader follows it", Standby, new HaAction.Follow(false)),
        ("follow: a leader that just changed is checked before moving", Standby with { LeaderWritable = false, LeaderChangedRecently = true }, new HaAction.Follow(true)),
        ("follow: not a leader the watch has not found writable", Standby with { LeaderWritable = false }, new HaAction.Wait()),
        ("follow: not a leader this member does not vouch for", Standby with { LeaderVouched = false }, new HaAction.Wait()),
        ("leader gone: elects", Standby with { LeaderFailed = true, LeaderVouched = false }, new HaAction.Elect()),
        ("election: not before the retry delay", Standby with { LeaderFailed = true, RoleChangeDue = false }, new HaAction.Wait()),
        ("election: not while paused", Standby with { LeaderFailed = true, Paused = true }, new HaAction.Wait()),
        ("election: not with priority 0", Standby with { LeaderFailed = true, Priority = 0 },
            new HaAction.Wait("The primary node1 is gone; this node has priority 0 and is never promoted: waiting for another node to be promoted (Invoke-PgHaPromote).")),
        ("election: not with manual failover", Standby with { LeaderFailed = true, Automatic = false },
            new HaAction.Wait("The primary node1 is gone; failover is manual: waiting for another node to be promoted (Invoke-PgHaPromote).")),
        ("election: not while the metadata records another consensus", Standby with { LeaderFailed = true, ConsensusRefusal = "etcd is recorded" },
            new HaAction.Wait("The primary node1 is gone, but this monitor does not stand: etcd is recorded")),
        ("a fenced leader whose server came back read-only elects", Standby with { IsLeader = true, LeaderId = 2, Fenced = true }, new HaAction.Elect()),
        // Fault run: node1's monitor restarted during a partition started its fenced server read-only; node3 won
        // term 2, and node1 tried to follow it every 2 s for ever (a registered primary cannot follow).
        ("a fenced former primary running read-only, another node leads and takes writes: rejoins", Standby with { Registered = PgHaRole.Primary, Fenced = true, LeaderId = 3, Term = 4 },
            new HaAction.Rejoin()),
        ("that rejoin: not when told to stay fenced", Standby with { Registered = PgHaRole.Primary, Fenced = true, LeaderId = 3, Term = 4, StalePrimary = PgHaStalePrimaryAction.Fence },
            new HaAction.Wait()),
        ("the old primary right after a switchover, its record not read yet (registered as the primary, not fenced): follows", Standby with { Registered = PgHaRole.Primary, LeaderId = 3, Term = 4 },
            new HaAction.Follow(false)),
        ("a fenced node rejoined by hand meanwhile (registered as a standby) follows", Standby with { Fenced = true, LeaderId = 3, Term = 4 }, new HaAction.Follow(false)),
        ("that rejoin: not before the retry delay", Standby with { Registered = PgHaRole.Primary, Fenced = true, LeaderId = 3, Term = 4, RoleChangeDue = false }, new HaAction.Wait()),
        ("that rejoin: not to a leader the watch has not found writable (a candidate may still fail)", Standby with { Registered = PgHaRole.Primary, Fenced = true, LeaderId = 3, Term = 4, LeaderWritable = false, LeaderChangedRecently = true },
            new HaAction.Wait()),

        // A term this node won, whose promotion failed (fault run: a broken pg_promote session left the cluster without a primary).
        ("the winner whose promotion failed tries again in its term", Standby with { IsLeader = true, LeaderId = 2, PromotionPending = true }, new HaAction.Promote()),
        ("promotion retry: not before the retry delay", Standby with { IsLeader = true, LeaderId = 2, PromotionPending = true, RoleChangeDue = false }, new HaAction.Wait()),
        ("promotion retry: not while paused", Standby with { IsLeader = true, LeaderId = 2, PromotionPending = true, Paused = true }, new HaAction.Wait()),
        ("a winner found writable after a failed attempt records its promotion, it does not just lead", Primary with { Registered = PgHaRole.Standby, LeaderId = 2, PromotionPending = true },
            new HaAction.Promote()),
        ("between such attempts the writable winner leads (its lease is watched)", Primary with { Registered = PgHaRole.Standby, LeaderId = 2, PromotionPending = true, RoleChangeDue = false },
            new HaAction.Lead(false)),
        ("the winner that gave its term up stands again once its stand-aside is over", Standby with { IsLeader = true, LeaderId = 2, GaveUpTerm = true }, new HaAction.Elect()),
        ("the winner that gave its term up waits while it stands aside", Standby with { IsLeader = true, LeaderId = 2, GaveUpTerm = true, RoleChangeDue = false }, new HaAction.Wait()),
        ("a leader in recovery that neither won nor gave up (after a switchover, before the new term is read) waits", Standby with { IsLeader = true, LeaderId = 2 }, new HaAction.Wait()),
        ("a standby that does not answer only votes", Standby with { InRecovery = null, LeaderFailed = true }, new HaAction.Wait()),
        ("a stopped standby only votes", Standby with { ServerRunning = false, InRecovery = null, LeaderFailed = true }, new HaAction.Wait()),
    ];

    /// <summary>The rows by situation (the types are internal to PgHa, so xunit is given the names).</summary>
    public static TheoryData<string> Situations() => new(Table.Select(row => row.Situation));

    [Theory]
    [MemberData(nameof(Situations))]
    public void EachSituationHasOneAction(string situation)
    {
        var (_, snapshot, expected) = Table.Single(row => row.Situation == situation);
        Assert.True(expected == HaRules.Decide(snapshot), $"{situation}: expected {expected}, got {HaRules.Decide(snapshot)}");
    }

    [Fact]
    public void AStoppedPrimaryAsksTheMembersForNewerTermsUnlessItsFenceIsDue()
    {
        Assert.True(HaRules.WantsMembersTerms(StoppedPrimary));
        Assert.True(HaRules.WantsMembersTerms(StoppedPrimary with { Fenced = true, DownSinceMs = Now - 9_000 }));
        Assert.True(HaRules.WantsMembersTerms(StoppedPrimary with { Paused = true, DownSinceMs = Now - 9_000 }));
        Assert.False(HaRules.WantsMembersTerms(StoppedPrimary with { DownSinceMs = Now - 1_000 }), "a due fence is not held up by a peer round");
        Assert.False(HaRules.WantsMembersTerms(Primary));
        Assert.False(HaRules.WantsMembersTerms(Standby with { ServerRunning = false, InRecovery = null }));
    }

    [Fact]
    public void NoWritableNodeIsEverLeftAloneWhileAnotherLeadsUnlessPaused()
    {
        // Every combination of the flags that could distract the rules: a writable node that does not lead is fenced.
        foreach (bool fenced in new[] { false, true })
        foreach (bool signal in new[] { false, true })
        foreach (bool failed in new[] { false, true })
        foreach (bool due in new[] { false, true })
        foreach (PgHaRole registered in new[] { PgHaRole.Primary, PgHaRole.Standby })
        {
            var s = Primary with { Registered = registered, IsLeader = false, LeaderId = 2, Term = 9, Fenced = fenced, SignalPlacedByMe = signal, LeaderFailed = failed, RoleChangeDue = due };
            Assert.IsType<HaAction.FenceStale>(HaRules.Decide(s));
        }
    }
}
