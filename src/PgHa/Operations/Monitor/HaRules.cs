namespace PgHa.Operations.Monitor;

/// <summary>
/// What one round of the monitor does, decided from one <see cref="HaSnapshot"/> and nothing else: pure, so
/// that every case is a row of a unit test (HaRulesTests). The order of the questions is the argument:
/// <list type="number">
/// <item>the witness only keeps its copy of the metadata;</item>
/// <item>a node whose server answers writable either leads its term or is fenced (unless paused);</item>
/// <item>a primary whose server is down is fenced after a grace, then rejoined once another node leads;</item>
/// <item>a standby whose leader is gone elects (if it may be promoted), else it follows the live leader; a
/// fenced former primary running read-only is rejoined to it instead.</item>
/// </list>
/// Elections themselves (who stands, who wins, who votes) are <see cref="ElectionRules"/>; the lease that
/// fences a primary which lost its majority is kept apart from this loop (NodeMonitor.Lease.cs).
/// </summary>
internal static class HaRules
{
    /// <summary>For this long after the leader changed, a standby checks it itself instead of waiting for the watch loop.</summary>
    public static readonly TimeSpan FollowAfterLeaderChange = TimeSpan.FromSeconds(30);

    public static HaAction Decide(HaSnapshot s)
    {
        if (s.Registered == PgHaRole.Witness)
        {
            return new HaAction.SyncWitness();
        }
        if (s.RunsWritable)
        {
            return DecideAsPrimary(s);
        }
        if (IsDownPrimary(s))
        {
            return DecideAsDownPrimary(s);
        }
        if (!s.ServerRunning || s.InRecovery is null)
        {
            return new HaAction.Wait(); // a standby that is down or does not answer: it only votes
        }
        return DecideAsStandby(s);
    }

    /// <summary>
    /// The server does not run and the node was (or may still be) the primary: it led the term, its monitor
    /// fenced it, or it is registered as the primary.
    /// </summary>
    public static bool IsDownPrimary(HaSnapshot s) =>
        s.Registered != PgHaRole.Witness && !s.ServerRunning && (s.IsLeader || s.Fenced || s.Registered == PgHaRole.Primary);

    /// <summary>
    /// A stopped primary asks the members for their terms before its round is decided (a newer term means
    /// another node leads: rejoin it) — except when its fence is due, which no peer round may hold up.
    /// </summary>
    public static bool WantsMembersTerms(HaSnapshot s) => IsDownPrimary(s) && !StoppedFenceDue(s);

    private static bool StoppedFenceDue(HaSnapshot s) =>
        !s.Paused && !s.Fenced && s.DownSinceMs is { } since && s.NowMs - since >= s.ConfirmedDownGrace.TotalMilliseconds;

    private static HaAction DecideAsPrimary(HaSnapshot s)
    {
        if (s.IsLeader && s.PromotionPending && s.RoleChangeDue)
        {
            return new HaAction.Promote(); // the promotion went through although its attempt failed: announce and record it
        }
        // Between such attempts it leads: its lease is watched like any primary's.
        if (!s.IsLeader && s.LeaderId is not null)
        {
            // Paused means no fencing at all: a switchover pauses the monitors while its new primary runs
            // before the metadata names it; after the resume the metadata is read again first.
            return s.Paused
                ? new HaAction.Wait($"{s.SelfName} runs as a primary while {s.LeaderName} leads term {s.Term}; monitoring is paused, so it is left alone.")
                : new HaAction.FenceStale($"it runs as a primary, but {s.LeaderName} leads term {s.Term}");
        }
        // The server came back before anyone replaced it: a signal placed while it was down must not make its next restart read-only.
        return new HaAction.Lead(RemoveOwnSignal: s.SignalPlacedByMe);
    }

    private static HaAction DecideAsDownPrimary(HaSnapshot s)
    {
        if (s.Paused)
        {
            return new HaAction.Wait();
        }
        if (StoppedFenceDue(s))
        {
            return new HaAction.FenceStopped();
        }
        if (!s.IsLeader && s.Fenced && s.LeaderId is not null && s.StalePrimary == PgHaStalePrimaryAction.Rejoin && s.RoleChangeDue)
        {
            return new HaAction.Rejoin();
        }
        return new HaAction.Wait();
    }

    private static HaAction DecideAsStandby(HaSnapshot s)
    {
        if (s.Paused)
        {
            return new HaAction.Wait();
        }
        if (s.IsLeader && s.PromotionPending)
        {
            return s.RoleChangeDue ? new HaAction.Promote() : new HaAction.Wait();
        }
        // This node may still take itself for the leader: when its fenced server came back read-only, or when it
        // gave up a term it could not promote in (after standing aside, it may stand again). Not merely because it
        // is in recovery: after a switchover it is, until its monitor reads the new term.
        bool leaderGone = (s.IsLeader && (s.Fenced || s.GaveUpTerm)) || (!s.IsLeader && s.LeaderFailed);
        if (leaderGone)
        {
            if (!s.Automatic || s.Priority == 0)
            {
                return new HaAction.Wait($"The primary {s.LeaderName} is gone; {(s.Automatic ? "this node has priority 0 and is never promoted" : "failover is manual")}: " +
                    "waiting for another node to be promoted (Invoke-PgHaPromote).");
            }
            if (s.ConsensusRefusal is { } refusal)
            {
                return new HaAction.Wait($"The primary {s.LeaderName} is gone, but this monitor does not stand: {refusal}");
            }
            return s.RoleChangeDue ? new HaAction.Elect() : new HaAction.Wait();
        }
        // A fenced former primary that runs read-only while another node leads (its monitor started it so at its
        // start, for an election another node then won) is no standby to follow: it is still registered as the
        // primary, and its WAL may go past where the new primary's timeline forked, which only a rejoin
        // (pg_rewind) undoes. Once the new primary takes writes, it is rejoined (its read-only server stopped
        // first), or left as it is when told to stay fenced. Fenced, not merely registered as the primary: right
        // after a switchover the old primary follows the new one before this monitor has read its new record.
        if (s.Fenced && s.Registered == PgHaRole.Primary && !s.IsLeader && s.LeaderId is not null)
        {
            return s.LeaderVouched && s.LeaderWritable && s.StalePrimary == PgHaStalePrimaryAction.Rejoin && s.RoleChangeDue
                ? new HaAction.Rejoin()
                : new HaAction.Wait();
        }
        // Only a primary that takes writes is followed: a candidate still promoting is not one yet. Right after a
        // new primary announced itself, it is checked in the round rather than at the watch loop's next check.
        if (s.LeaderVouched && !s.IsLeader && s.LeaderId is not null && (s.LeaderWritable || s.LeaderChangedRecently))
        {
            return new HaAction.Follow(CheckLeaderFirst: !s.LeaderWritable);
        }
        return new HaAction.Wait();
    }
}
