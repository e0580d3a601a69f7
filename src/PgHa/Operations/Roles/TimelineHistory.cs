using System.Globalization;

namespace PgHa.Operations.Roles;

/// <summary>
/// A timeline's history file (pg_wal/0000000N.history, or TIMELINE_HISTORY over replication): for each
/// earlier timeline, the WAL position where the cluster switched away from it. It decides whether a
/// node can follow a new upstream: only if the node's position lies on the upstream's history.
/// </summary>
internal sealed class TimelineHistory
{
    private readonly IReadOnlyList<(int Timeline, PgHaLsn SwitchPoint)> _entries;

    private TimelineHistory(int timeline, IReadOnlyList<(int Timeline, PgHaLsn SwitchPoint)> entries)
    {
        Timeline = timeline;
        _entries = entries;
    }

    /// <summary>The timeline this history leads to (the upstream's current one).</summary>
    public int Timeline { get; }

    /// <summary>Parses a history file's text: "parentTLI&lt;tab&gt;switchpoint&lt;tab&gt;reason" lines; # comments and blank lines ignored.</summary>
    public static TimelineHistory Parse(int timeline, string text)
    {
        var entries = new List<(int, PgHaLsn)>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            string[] fields = line.Split(['\t', ' '], 3, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2
                || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int parent)
                || !PgHaLsn.TryParse(fields[1], out PgHaLsn switchPoint))
            {
                throw new FormatException($"'{line}' is not a timeline history line (parent timeline, switch point, reason).");
            }
            if (parent >= timeline || (entries.Count > 0 && parent <= entries[^1].Item1))
            {
                throw new FormatException($"Timeline history for {timeline} lists timeline {parent} out of order.");
            }
            entries.Add((parent, switchPoint));
        }
        return new TimelineHistory(timeline, entries);
    }

    /// <summary>The history of timeline 1, which has no parents.</summary>
    public static TimelineHistory First { get; } = new(1, []);

    /// <summary>Where the history left <paramref name="timeline"/>; null for the current timeline or one not on this history.</summary>
    public PgHaLsn? SwitchPointOf(int timeline) =>
        _entries.Where(e => e.Timeline == timeline).Select(e => (PgHaLsn?)e.SwitchPoint).FirstOrDefault();

    /// <summary>Whether <paramref name="timeline"/> is this timeline or one of its ancestors.</summary>
    public bool Contains(int timeline) => timeline == Timeline || _entries.Any(e => e.Timeline == timeline);

    /// <summary>
    /// Whether the timeline this history leads to is the one of that number on <paramref name="upstream"/>'s
    /// history (its current timeline or an ancestor): every timeline this one left, it left at the same point.
    /// False when one timeline number was made twice, by two promotions of the same parent that did not know
    /// of each other (a new primary cut off before any standby streamed from it, and another standby promoted
    /// after it): pg_rewind tells timelines apart by their number only and cannot undo such a branch.
    /// </summary>
    public bool IsOnHistoryOf(TimelineHistory upstream)
    {
        if (Timeline > upstream.Timeline || !upstream.Contains(Timeline))
        {
            return false;
        }
        var upstreamAncestors = upstream._entries.Where(e => e.Timeline < Timeline).ToList();
        return upstreamAncestors.Count == _entries.Count && _entries.Zip(upstreamAncestors).All(pair => pair.First == pair.Second);
    }

    /// <summary>Where this timeline began: the parent it left and the switch point; null for timeline 1.</summary>
    public (int Parent, PgHaLsn At)? Start => _entries.Count == 0 ? null : _entries[^1];

    /// <summary>The history as a history file says it, for messages: "1 at 0/3000060, 2 at 0/5000A28".</summary>
    public string Describe() => _entries.Count == 0
        ? $"timeline {Timeline}, the first"
        : $"timeline {Timeline}, which left " + string.Join(", ", _entries.Select(e => $"timeline {e.Timeline} at {e.SwitchPoint}"));

    /// <summary>
    /// Whether a node that has WAL up to <paramref name="position"/> on <paramref name="timeline"/> can
    /// stream from a server on this history without rewinding: its timeline must be on the history, and
    /// it must not have gone past the point where the history left that timeline.
    /// </summary>
    public FollowVerdict CanFollowFrom(int timeline, PgHaLsn position)
    {
        if (timeline == Timeline)
        {
            return FollowVerdict.Yes;
        }
        if (timeline > Timeline || !Contains(timeline))
        {
            return FollowVerdict.NotOnHistory;
        }
        PgHaLsn switchPoint = SwitchPointOf(timeline)!.Value;
        return position <= switchPoint ? FollowVerdict.Yes : FollowVerdict.Diverged;
    }
}
