using PgHa;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>Who is promoted, how many votes make a majority, and when a member grants its vote.</summary>
public sealed class ElectionRulesTests
{
    private static readonly PgHaLsn Behind = PgHaLsn.Parse("0/3000000");
    private static readonly PgHaLsn Ahead = PgHaLsn.Parse("0/3000100");

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 3)]
    [InlineData(5, 3)]
    [InlineData(6, 4)]
    [InlineData(7, 4)]
    public void AMajorityIsMoreThanHalfOfAllMembers(int members, int quorum)
    {
        Assert.Equal(quorum, ElectionRules.Quorum(members));
        // Any two majorities share a member: what keeps a fenced-off primary and a new one from both being backed.
        Assert.True(2 * ElectionRules.Quorum(members) > members);
    }

    [Fact]
    public void TheMostReceivedWalWinsOverPriorityAndId()
    {
        ElectionEntrant? winner = ElectionRules.Winner([
            new(2, "node2", Behind, 200),
            new(3, "node3", Ahead, 10),
            new(1, "node1", Behind, 100),
        ]);
        Assert.Equal(3, winner?.NodeId);
    }

    [Fact]
    public void WithTheSameWalTheHighestPriorityWins()
    {
        ElectionEntrant? winner = ElectionRules.Winner([
            new(2, "node2", Ahead, 100),
            new(4, "node4", Ahead, 150),
            new(3, "node3", Behind, 300),
        ]);
        Assert.Equal(4, winner?.NodeId);
    }

    [Fact]
    public void WithTheSameWalAndPriorityTheLowestIdWins()
    {
        ElectionEntrant? winner = ElectionRules.Winner([
            new(5, "node5", Ahead, 100),
            new(3, "node3", Ahead, 100),
            new(4, "node4", Ahead, 100),
        ]);
        Assert.Equal(3, winner?.NodeId);
    }

    [Fact]
    public void PriorityZeroNeverWinsEvenWithTheMostWal()
    {
        ElectionEntrant? winner = ElectionRules.Winner([
            new(2, "node2", Ahead, 0),
            new(3, "node3", Behind, 1),
        ]);
        Assert.Equal(3, winner?.NodeId);
    }

    [Fact]
    public void NobodyWinsWhenNobodyCanBePromoted()
    {
        Assert.Null(ElectionRules.Winner([]));
        Assert.Null(ElectionRules.Winner([new(2, "node2", Ahead, 0), new(3, "node3", Behind, 0)]));
    }

    private static VoterFacts Voter(
        bool paused = false, long knownTerm = 3, long votedTerm = 2, int? votedFor = 2, bool leaderFailed = true,
        bool canBePromoted = true, PgHaLsn? ownLsn = null) =>
        new(NodeId: 4, paused, knownTerm, votedTerm, votedFor, leaderFailed, "node1", canBePromoted, ownLsn ?? Behind);

    [Fact]
    public void AMemberThatLostItsPrimaryTooGrantsItsVote()
    {
        VoteDecision vote = ElectionRules.DecideVote(Voter(), term: 4, candidateId: 2, Ahead);
        Assert.True(vote.Granted, vote.Reason);
    }

    [Fact]
    public void APausedMemberRefuses()
    {
        VoteDecision vote = ElectionRules.DecideVote(Voter(paused: true), term: 4, candidateId: 2, Ahead);
        Assert.False(vote.Granted);
        Assert.Contains("Suspend-PgHaMonitor", vote.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)] // the term it knows
    [InlineData(2)] // an older one
    public void ATermThatIsNotNewerThanTheKnownTermIsRefused(long term)
    {
        VoteDecision vote = ElectionRules.DecideVote(Voter(knownTerm: 3, votedTerm: 1), term, candidateId: 2, Ahead);
        Assert.False(vote.Granted);
        Assert.Contains("not newer", vote.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ASecondCandidateInATermAlreadyVotedInIsRefused()
    {
        // Voted for node 2 in term 5 (newer than the term it knows): node 3 asks in the same term.
        VoteDecision vote = ElectionRules.DecideVote(Voter(knownTerm: 3, votedTerm: 5, votedFor: 2), term: 5, candidateId: 3, Ahead);
        Assert.False(vote.Granted);
        Assert.Contains("term 5", vote.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameCandidateInTheSameTermGetsTheSameYesAgain()
    {
        // A retried request (a lost answer) must not turn a won vote into a refusal, whatever changed since.
        VoterFacts voted = Voter(paused: true, knownTerm: 5, votedTerm: 5, votedFor: 2, leaderFailed: false, ownLsn: Ahead);
        VoteDecision vote = ElectionRules.DecideVote(voted, term: 5, candidateId: 2, Behind);
        Assert.True(vote.Granted);
        Assert.Contains("already voted", vote.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AMemberThatStillSeesThePrimaryRefusesAndNamesIt()
    {
        VoteDecision vote = ElectionRules.DecideVote(Voter(leaderFailed: false), term: 4, candidateId: 2, Ahead);
        Assert.False(vote.Granted);
        Assert.Contains("still sees the primary node1", vote.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AStandbyWithMoreWalThanTheCandidateRefuses()
    {
        VoteDecision vote = ElectionRules.DecideVote(Voter(ownLsn: Ahead), term: 4, candidateId: 2, Behind);
        Assert.False(vote.Granted);
        Assert.Contains("more WAL", vote.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AStandbyWithAsMuchWalAsTheCandidateGrants()
    {
        Assert.True(ElectionRules.DecideVote(Voter(ownLsn: Ahead), term: 4, candidateId: 2, Ahead).Granted);
    }

    [Fact]
    public void AMemberThatCannotBePromotedDoesNotCompareWal()
    {
        // The witness and priority-0 standbys: their own WAL position is no reason to refuse.
        VoteDecision vote = ElectionRules.DecideVote(Voter(canBePromoted: false, ownLsn: Ahead), term: 4, candidateId: 2, Behind);
        Assert.True(vote.Granted, vote.Reason);
    }

    [Fact]
    public void AStandbyThatDoesNotKnowItsOwnWalDoesNotRefuseOnWal()
    {
        var facts = new VoterFacts(4, false, 3, 2, 2, true, "node1", CanBePromoted: true, OwnLsn: null);
        Assert.True(ElectionRules.DecideVote(facts, term: 4, candidateId: 2, Behind).Granted);
    }

    // members, then each other member's status as paused/takes-primary-for-gone/failed-primary-fenced-down ("-" for no answer).
    [Theory]
    [InlineData(3, "", false)]                   // alone: never stands
    [InlineData(3, "-,-", false)]                // cut off from both: never stands (no term opened)
    [InlineData(3, "ngn,-", true)]               // one standby takes the primary for gone: 2 of 3
    [InlineData(3, "nnn,nnn", false)]            // both still see the primary
    [InlineData(3, "nnf,-", true)]               // the failed primary's monitor reports its server down and fenced
    [InlineData(3, "pgn,-", false)]              // the one that would vote is paused
    [InlineData(5, "ngn,ngn,-,-", true)]         // 3 of 5
    [InlineData(5, "ngn,-,-,-", false)]          // 2 of 5
    public void PreVote_StandsOnlyWhenAMajorityWouldGrant(int members, string others, bool expected)
    {
        var views = others.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(o => o != "-")
            .Select(o => new PreVoteView(o[0] == 'p', o[1] == 'g', o[2] == 'f'));
        Assert.Equal(expected, ElectionRules.MayStand(members, views));
    }

    [Theory]
    // The dead primary's own last state (etcd keeps it up to a TTL) once its failure is confirmed: no longer counts.
    [InlineData(1, true, true, null)]
    // Not confirmed: the primary's own word still holds the election back, as before.
    [InlineData(1, false, true, "node1")]
    // Another member that sees the primary always holds it back, confirmed or not.
    [InlineData(3, true, true, "node3")]
    [InlineData(3, false, true, "node3")]
    // A member that does not see it, or sees it in another term, holds nothing back.
    [InlineData(3, true, false, null)]
    public void AStandbyWaitsForMembersThatStillSeeThePrimary_NotForTheConfirmedDeadPrimaryItself(int statusOf, bool confirmedDown, bool seesLeader, string? expected)
    {
        var statuses = new PeerStatus?[]
        {
            null,
            new PeerStatus { NodeId = statusOf, NodeName = $"node{statusOf}", Term = 4, LeaderId = 1, SeesLeader = seesLeader },
            new PeerStatus { NodeId = 2, NodeName = "node2", Term = 3, LeaderId = 1, SeesLeader = true }, // an older term
        };
        Assert.Equal(expected, ElectionRules.StillSeesLeader(statuses, 4, 1, confirmedDown)?.NodeName);
    }
}
