namespace PgHa.Operations.Monitor;

/// <summary>
/// One monitor's view of the node it takes for the primary (the "leader": the registered primary, or a
/// candidate it has just voted for), built from the outcome of each check. Times are monotonic
/// milliseconds (<see cref="Core.MonotonicClock"/>), so a wall-clock jump can neither hide a failure nor invent one.
/// </summary>
internal sealed class LeaderWatch
{
    private long? _lastSeenMs;
    private bool _confirmedDown;
    private long _lastVouchedMs;
    private long _lastLeaseVouchMs = long.MinValue / 2;
    private long _epochMs;
    private bool _epochWait;

    /// <param name="grantedVote">
    /// This member made the leader by granting it its vote: the leader's lease began before the vote, so the
    /// vote counts as a vouch and the early vote-out (<see cref="HasFailed"/>) needs no first window.
    /// </param>
    public LeaderWatch(long term, int? leaderId, long nowMs, bool grantedVote = false)
    {
        Term = term;
        LeaderId = leaderId;
        // A new leader starts out as seen: the detection window runs from here, not from the last time the previous one answered.
        _lastSeenMs = nowMs;
        _lastVouchedMs = nowMs;
        _epochMs = nowMs;
        _epochWait = !grantedVote;
    }

    /// <summary>The term the leader leads in.</summary>
    public long Term { get; }

    /// <summary>The node taken for the primary; null when none is known (a cluster without a primary cannot lose one).</summary>
    public int? LeaderId { get; }

    /// <summary>When the last check reached the leader, or when the watch began.</summary>
    public long? LastSeenMs => _lastSeenMs;

    /// <summary>A check reached the leader: a running primary, or a candidate promoting in this term.</summary>
    public void Seen(long nowMs)
    {
        _lastSeenMs = nowMs;
        _confirmedDown = false;
    }

    /// <summary>
    /// Monitoring resumed: the detection window runs again from here. While paused the primary did not fence
    /// itself, so a member must give it a whole window after the resume before voting it out, as after a
    /// start. A leader that was confirmed down stays so: its own monitor said it is down and fenced.
    /// </summary>
    public void Restart(long nowMs)
    {
        _lastSeenMs = nowMs;
        _lastVouchedMs = nowMs;
        _epochMs = nowMs;
        _epochWait = true; // the primary extended its lease at its own resume, which no member vouched for
    }

    /// <summary>
    /// This member told someone it sees the leader (a status with SeesLeader, which the leader counts for its
    /// lease), or took its announced term: the leader may hold a lease from a round that began before now.
    /// </summary>
    public void Vouched(long nowMs) => _lastVouchedMs = Math.Max(_lastVouchedMs, nowMs);

    /// <summary>
    /// This member's vouch answered the leader's own signed lease request (the built-in quorum's rounds; with
    /// etcd, only a failsafe leader sends those, when etcd is out of its reach).
    /// </summary>
    public void VouchedForLease(long nowMs) => _lastLeaseVouchMs = Math.Max(_lastLeaseVouchMs, nowMs);

    /// <summary>
    /// Whether a lease this member vouched for may still let the leader take writes: until a fence timeout and a
    /// margin (<see cref="MonitorSettings.VoteAfterLastVouch"/>) after its last lease vouch. With etcd, a leader
    /// key that vanished meanwhile is no failure yet: a failsafe leader renews through the members.
    /// </summary>
    public bool LeaseVouchRunning(long nowMs, MonitorSettings settings) => nowMs - _lastLeaseVouchMs < settings.VoteAfterLastVouch.TotalMilliseconds;

    /// <summary>
    /// A check did not reach the leader. <paramref name="confirmedDown"/>: the leader's own monitor answered
    /// and said its server is down and fenced, or that it is not leading after all.
    /// </summary>
    public void Missed(bool confirmedDown) => _confirmedDown = confirmedDown;

    /// <summary>
    /// The leader's failure is taken as confirmed: the last check found its monitor reporting it down and fenced, or
    /// the consensus letting it go; or an election this member lost after the failure keeps it failed until the next check.
    /// </summary>
    public bool ConfirmedDown => _confirmedDown;

    /// <summary>Whether this member vouches for the leader (the primary counts these to stay writable).</summary>
    public bool Vouches(long nowMs, MonitorSettings settings) =>
        LeaderId is not null && !_confirmedDown && _lastSeenMs is { } seen && nowMs - seen < settings.SupportFreshness.TotalMilliseconds;

    /// <summary>
    /// Whether this member may vote the leader out: its own monitor confirmed it down; or no check has reached
    /// it for the detection window; or, sooner, this member no longer sees it and has not vouched for it for
    /// <see cref="MonitorSettings.VoteAfterLastVouch"/> (the fence timeout and a margin), while its monitor
    /// was asking for vouches until then (<see cref="LeaderWasAsking"/>). The last is the
    /// lease argument made from this member's side: any lease the leader holds came from a majority round
    /// that began before some member's vouch, and every majority shares a member with the one that votes, so
    /// by then the leader has fenced itself. Leases no member vouched for (a first start's window, the
    /// extension at a resume) are why a watch that did not begin with this member's vote gives the leader one
    /// detection window from its beginning before the early vote-out applies.
    /// </summary>
    public bool HasFailed(long nowMs, MonitorSettings settings) =>
        LeaderId is not null && (_confirmedDown
            || (_lastSeenMs is { } seen && nowMs - seen >= settings.DetectionWindow.TotalMilliseconds)
            || (!Vouches(nowMs, settings) && nowMs - _lastVouchedMs >= settings.VoteAfterLastVouch.TotalMilliseconds
                && LeaderWasAsking(settings) && (!_epochWait || nowMs - _epochMs >= settings.DetectionWindow.TotalMilliseconds)));

    /// <summary>
    /// The leader's monitor was asking for vouches when the leader was last seen. A primary whose monitor is
    /// gone is still seen but asks nobody, and nothing would fence it: such a primary gets the whole detection
    /// window, as before, rather than being voted out after a short blip of its server.
    /// </summary>
    private bool LeaderWasAsking(MonitorSettings settings) =>
        _lastSeenMs is not { } seen || seen - _lastVouchedMs <= settings.SupportFreshness.TotalMilliseconds;

    /// <summary>Seconds since the leader was last reached, for status reports.</summary>
    public double? SecondsSinceSeen(long nowMs) => _lastSeenMs is { } seen ? (nowMs - seen) / 1000.0 : null;
}
