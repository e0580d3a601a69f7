namespace PgHa.Operations.Monitor;

/// <summary>What a member knows when it is asked for its vote.</summary>
internal sealed record VoterFacts(
    int NodeId,
    bool Paused,
    long KnownTerm,
    long VotedTerm,
    int? VotedFor,
    bool LeaderFailed,
    string? LeaderName,
    bool CanBePromoted,
    PgHaLsn? OwnLsn);

/// <summary>A standby that could be promoted, as the candidate sees it from the members' answers.</summary>
internal sealed record ElectionEntrant(int NodeId, string Name, PgHaLsn ReceivedLsn, int Priority);

/// <summary>What a member's status says about how it would vote, for <see cref="ElectionRules.MayStand"/>.</summary>
internal sealed record PreVoteView(bool Paused, bool TakesPrimaryForGone, bool IsFailedPrimaryFencedDown);

/// <summary>A vote and why.</summary>
internal sealed record VoteDecision(bool Granted, string Reason);

/// <summary>
/// The election rules, as pure functions so that each is unit-tested: who should be promoted, when a
/// member grants its vote, and how many votes make a majority.
/// </summary>
internal static class ElectionRules
{
    /// <summary>
    /// A majority of all registered members: data nodes (a failed primary included, marked inactive or not)
    /// and the witness. The failed primary's vote never goes to a candidate unless its own monitor has fenced
    /// it, so counting it makes the rule stricter, never looser; and any two majorities share a member, which
    /// is what keeps a fenced-off primary and a promoted standby from both being backed.
    /// </summary>
    public static int Quorum(int members) => members / 2 + 1;

    /// <summary>
    /// The member whose status says it still sees the primary of <paramref name="term"/>, which keeps a standby from
    /// standing; null when none does. The primary's own status does not count once the watch takes its failure as
    /// confirmed (<see cref="LeaderWatch.ConfirmedDown"/>: its monitor reported its server down and fenced, or etcd
    /// let its leader key go, or an election lost after that): with etcd, a member state
    /// outlives its node by up to a TTL, and a dead primary's last one says it sees itself, which held a bench's
    /// election back by half a second after the key was gone. A primary alive but without its key fences itself
    /// on its lease, whatever its status says.
    /// </summary>
    public static PeerStatus? StillSeesLeader(IEnumerable<PeerStatus?> statuses, long term, int? leaderId, bool leaderConfirmedDown) =>
        statuses.FirstOrDefault(s => s is { SeesLeader: true } && s.Term == term && s.LeaderId == leaderId && !(leaderConfirmedDown && s.NodeId == leaderId));

    /// <summary>
    /// The standby to promote: the most advanced received WAL (no acknowledged write is lost that any
    /// reachable standby has), then the highest priority, then the lowest node id. Priority 0 never wins.
    /// </summary>
    public static ElectionEntrant? Winner(IEnumerable<ElectionEntrant> entrants) =>
        entrants.Where(e => e.Priority > 0)
            .OrderByDescending(e => e.ReceivedLsn.Value)
            .ThenByDescending(e => e.Priority)
            .ThenBy(e => e.NodeId)
            .FirstOrDefault();

    /// <summary>
    /// The pre-vote: a standby stands (and opens a new term) only when enough members would grant the vote for
    /// it to win, judged from the statuses it just gathered: itself, plus every member that answered, is not
    /// paused, and takes the primary for gone (or is the failed primary's own monitor, reporting its server down
    /// and fenced). Without it a standby cut off from the majority opened a new term every round it could not
    /// win, and after the heal its term ran so far ahead that the members refused it as out of range.
    /// </summary>
    public static bool MayStand(int members, IEnumerable<PreVoteView> others) =>
        1 + others.Count(o => !o.Paused && (o.TakesPrimaryForGone || o.IsFailedPrimaryFencedDown)) >= Quorum(members);

    /// <summary>Whether a member grants its vote to a candidate in a term: at most one candidate per term, and only once the primary is gone for this member too.</summary>
    public static VoteDecision DecideVote(VoterFacts voter, long term, int candidateId, PgHaLsn candidateLsn)
    {
        if (voter.VotedTerm == term && voter.VotedFor == candidateId)
        {
            return new(true, $"already voted for node {candidateId} in term {term}");
        }
        if (voter.Paused)
        {
            return new(false, "monitoring is paused (Suspend-PgHaMonitor)");
        }
        long highest = Math.Max(voter.KnownTerm, voter.VotedTerm);
        if (term <= highest)
        {
            return new(false, $"term {term} is not newer than term {highest} this member already knows or voted in");
        }
        if (!voter.LeaderFailed)
        {
            return new(false, $"this member still sees the primary{(voter.LeaderName is null ? string.Empty : $" {voter.LeaderName}")}");
        }
        if (voter.CanBePromoted && voter.OwnLsn is { } own && own > candidateLsn)
        {
            return new(false, $"this member has received more WAL ({own}) than the candidate ({candidateLsn})");
        }
        return new(true, "the primary is gone for this member too");
    }
}
