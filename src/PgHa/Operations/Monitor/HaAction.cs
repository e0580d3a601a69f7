namespace PgHa.Operations.Monitor;

/// <summary>The one thing a round of the monitor does, as <see cref="HaRules.Decide"/> chose it.</summary>
internal abstract record HaAction
{
    /// <summary>Nothing to do this round; <paramref name="Note"/>, when given, is logged once (until it changes).</summary>
    public sealed record Wait(string? Note = null) : HaAction;

    /// <summary>The witness: keep its copy of the metadata in step with the primary's.</summary>
    public sealed record SyncWitness : HaAction;

    /// <summary>The node runs as a primary while another node leads a newer term: fence it now.</summary>
    public sealed record FenceStale(string Why) : HaAction;

    /// <summary>
    /// The node is the writable leader: remove a standby.signal placed while it was down (when
    /// <paramref name="RemoveOwnSignal"/>), announce a term not yet announced, write history, guard
    /// synchronous replication. Its lease is kept and checked apart from the loop.
    /// </summary>
    public sealed record Lead(bool RemoveOwnSignal) : HaAction;

    /// <summary>A primary whose server has stayed down for the grace: place standby.signal so that it can only start read-only.</summary>
    public sealed record FenceStopped : HaAction;

    /// <summary>A fenced former primary while another node leads: rejoin it as a standby of the leader.</summary>
    public sealed record Rejoin : HaAction;

    /// <summary>
    /// This node won its term and its promotion has not finished: an attempt failed (tried again after a delay),
    /// or the server left recovery without the monitor seeing it. Promote unless already promoted, then record it.
    /// </summary>
    public sealed record Promote : HaAction;

    /// <summary>The leader is gone and this standby may be promoted: run an election (it stands only if it is the best).</summary>
    public sealed record Elect : HaAction;

    /// <summary>
    /// The leader is alive: make sure this standby streams from it (or from its registered upstream).
    /// <paramref name="CheckLeaderFirst"/>: the watch has not found the leader writable yet (it changed moments
    /// ago), so it is checked before anything is moved.
    /// </summary>
    public sealed record Follow(bool CheckLeaderFirst) : HaAction;
}
