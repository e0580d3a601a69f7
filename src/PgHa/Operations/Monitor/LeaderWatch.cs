namespace PgHa.Operations.Monitor;

/// <summary>
/// One monitor's view of the node it takes for the primary (the "leader": the registered primary, or a
/// candidate it has just voted for), built from the outcome of each check. Times are monotonic
/// milliseconds (Environment.TickCount64), so a wall-clock jump can neither hide a failure nor invent one.
/// </summary>
internal sealed class LeaderWatch
{
    private long? _lastSeenMs;
    private bool _confirmedDown;

    public LeaderWatch(long term, int? leaderId, long nowMs)
    {
        Term = term;
        LeaderId = leaderId;
        // A new leader starts out as seen: the detection window runs from here, not from the last time the previous one answered.
        _lastSeenMs = nowMs;
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
    public void Restart(long nowMs) => _lastSeenMs = nowMs;

    /// <summary>
    /// A check did not reach the leader. <paramref name="confirmedDown"/>: the leader's own monitor answered
    /// and said its server is down and fenced, or that it is not leading after all.
    /// </summary>
    public void Missed(bool confirmedDown) => _confirmedDown = confirmedDown;

    /// <summary>Whether this member vouches for the leader (the primary counts these to stay writable).</summary>
    public bool Vouches(long nowMs, MonitorSettings settings) =>
        LeaderId is not null && !_confirmedDown && _lastSeenMs is { } seen && nowMs - seen < settings.SupportFreshness.TotalMilliseconds;

    /// <summary>Whether this member may vote the leader out.</summary>
    public bool HasFailed(long nowMs, MonitorSettings settings) =>
        LeaderId is not null && (_confirmedDown || (_lastSeenMs is { } seen && nowMs - seen >= settings.DetectionWindow.TotalMilliseconds));

    /// <summary>Seconds since the leader was last reached, for status reports.</summary>
    public double? SecondsSinceSeen(long nowMs) => _lastSeenMs is { } seen ? (nowMs - seen) / 1000.0 : null;
}
