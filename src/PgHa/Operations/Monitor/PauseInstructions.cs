namespace PgHa.Operations.Monitor;

/// <summary>Where a pause or resume instruction reached a monitor from.</summary>
internal enum PauseSource
{
    /// <summary>The metadata's flag (written on the primary by Suspend/Resume-PgHaMonitor, read from this node's copy).</summary>
    Metadata,

    /// <summary>Suspend/Resume-PgHaMonitor telling this monitor directly (signed peer message).</summary>
    Direct,

    /// <summary>The consensus backend's own pause (etcd: the pause key under the cluster's prefix).</summary>
    Consensus,
}

/// <summary>
/// Whether a monitor is paused: what the NEWEST instruction said, of the metadata's flag, a direct message and
/// etcd's pause key. Each source is read now and then, so an instruction is "new" when its source says
/// something it did not say before — not only another value: a source may carry a mark that tells one
/// instruction from the next with the same value (the pause key's mod revision; every direct message is new).
/// Without it, a pause key deleted and written again between two reads looked unchanged and was older than the
/// metadata's resume, so that monitor never paused (found by CI: Suspend, Resume, then a key written by hand).
/// The metadata's flag has none (its paused_at differs between copies). Of instructions seen at the same
/// moment (a start that reads a paused metadata and an unpaused etcd), paused wins: an unwanted pause shows in
/// Get-PgHaMonitor, an unwanted resume fails over in the middle of maintenance. Not thread-safe: the monitor
/// calls it under its gate.
/// </summary>
internal sealed class PauseInstructions
{
    private readonly Dictionary<PauseSource, (bool Paused, string? Mark, long AtMs)> _latest = [];
    private long _directCount;

    /// <summary>What the newest instruction said (false before any).</summary>
    public bool Paused { get; private set; }

    /// <summary>The source whose instruction decided <see cref="Paused"/> (null before any instruction).</summary>
    public PauseSource? DecidedBy { get; private set; }

    /// <summary>When <paramref name="source"/>'s current instruction was first seen, or null when it said nothing yet.</summary>
    public long? SeenAtMs(PauseSource source) => _latest.TryGetValue(source, out var i) ? i.AtMs : null;

    /// <summary>The metadata's flag as last read (the election clears a flag a promoted node's metadata kept).</summary>
    public bool MetadataPaused => _latest.TryGetValue(PauseSource.Metadata, out var m) && m.Paused;

    /// <summary>
    /// Takes what <paramref name="source"/> says now (decide with <see cref="Decide"/> once every source read at
    /// this moment is taken). <paramref name="mark"/> tells this instruction from an earlier one of the same
    /// value (null where the source has none).
    /// </summary>
    public void Observe(PauseSource source, bool paused, string? mark, long nowMs)
    {
        if (source == PauseSource.Direct)
        {
            // Every direct message is an instruction of its own, even the same one twice.
            mark = (++_directCount).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (!_latest.TryGetValue(source, out var last) || last.Paused != paused || last.Mark != mark)
        {
            _latest[source] = (paused, mark, nowMs);
        }
    }

    /// <summary>Sets <see cref="Paused"/> to what the newest instruction says; returns whether it changed.</summary>
    public bool Decide()
    {
        if (_latest.Count == 0)
        {
            return false;
        }
        long newest = _latest.Values.Max(i => i.AtMs);
        var atNewest = _latest.Where(i => i.Value.AtMs == newest).OrderByDescending(i => i.Value.Paused).ThenBy(i => i.Key).First();
        bool changed = atNewest.Value.Paused != Paused;
        Paused = atNewest.Value.Paused;
        DecidedBy = atNewest.Key;
        return changed;
    }
}
