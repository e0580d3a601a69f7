using System.Text.Json;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Where a primary's monitor keeps its lease across a restart of the monitor process: the boot it was
/// granted in and its monotonic expiry. A monitor that crashed and was restarted during a partition takes
/// the lease it had, not a fresh detection window: the standbys have been counting since the partition began.
/// <para>
/// The file is written without fsync, and only when the expiry moved on by a quarter of a second or more: what it
/// holds is never later than the lease in memory, so a restarted monitor fences no later than the old one
/// would have. A reboot ends it (another boot id: the server restarted too). A monitor that stops normally
/// while its lease is valid keeps it when a majority ever renewed it (its next start within
/// <see cref="NodeMonitor"/>'s forget-after-stop time keeps that lease), and deletes it otherwise (a monitor run
/// alone: its next start is a start like the first one).
/// </para>
/// </summary>
internal sealed class LeaseRecord
{
    // Small: the lease guard (LeaseGuard) obeys the record, so it fences at most this much before the monitor would.
    private const long WriteStepMs = 250;
    private readonly string _path;
    private readonly Action<string>? _warn;
    private long _writtenExpiryMs = long.MinValue / 2;
    private bool _written;
    private bool _paused;
    private bool _writeFailed;

    public LeaseRecord(string path, Action<string>? warn = null)
    {
        _path = path;
        _warn = warn;
    }

    /// <summary>Whether a record of a running lease is on disk, written by this object (what a lease guard obeys).</summary>
    public bool Armed => _written;

    public string Path => _path;

    /// <summary>
    /// The expiry saved in this boot, or null when there is none (first start, another boot, unreadable), or when
    /// the monitor stopped normally at least <paramref name="forgetAfterStop"/> ago (a cold start after maintenance
    /// is a start like the first).
    /// </summary>
    public long? Load(long nowMs, TimeSpan forgetAfterStop)
    {
        try
        {
            if (!File.Exists(_path))
            {
                return null;
            }
            Saved? saved = JsonSerializer.Deserialize<Saved>(File.ReadAllText(_path), PeerJson.Options);
            if (saved is null || saved.BootId != BootId())
            {
                return null;
            }
            return saved.StoppedAtMs is { } stopped && nowMs - stopped >= forgetAfterStop.TotalMilliseconds ? null : saved.ExpiresAtMs;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Saves the expiry when it moved on enough since the last save; never throws (a lost save only makes a restart fence sooner).</summary>
    public void Save(long expiresAtMs) => Write(expiresAtMs, stoppedAtMs: null);

    /// <summary>
    /// A normal stop of a monitor whose lease a majority renewed: the lease is kept, so that a restart (systemctl
    /// restart) during a partition does not buy the primary a first start's window, which no member vouched for.
    /// </summary>
    public void SaveStopped(long expiresAtMs, long stoppedAtMs) => Write(expiresAtMs, stoppedAtMs);

    /// <summary>
    /// Says in the record whether the monitor is paused: the lease guard fences no paused primary, as the monitor's
    /// own timer does not. Written at once when it changed (and there is a record).
    /// </summary>
    public void SetPaused(bool paused, long expiresAtMs)
    {
        if (paused == _paused)
        {
            return;
        }
        _paused = paused;
        if (_written)
        {
            // With the lease as it is now: a resume extends it, and the guard must not find the expiry of before the pause.
            Write(expiresAtMs, stoppedAtMs: null, force: true);
        }
    }

    private void Write(long expiresAtMs, long? stoppedAtMs, bool force = false)
    {
        // Written when the expiry moved on enough, and always when it moved back (a lease replaced by a shorter one)
        // or at a stop: the record is never later than the lease in memory.
        long step = expiresAtMs - _writtenExpiryMs;
        if (!force && stoppedAtMs is null && step >= 0 && step < WriteStepMs)
        {
            return;
        }
        try
        {
            string temporary = _path + ".tmp";
            Saved record = new(BootId(), expiresAtMs, stoppedAtMs, _paused, UptimeExpiry(expiresAtMs));
            File.WriteAllText(temporary, JsonSerializer.Serialize(record, PeerJson.Options));
            File.Move(temporary, _path, overwrite: true);
            _writtenExpiryMs = expiresAtMs;
            _written = stoppedAtMs is null;
            _writeFailed = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A record that cannot follow the lease (a full or read-only disk) must not stay behind: the lease guard
            // would fence a primary whose monitor runs and renews. Gone, it disarms the guard (an unlink needs no
            // space); the next extension tries again, and a restart fences sooner (no kept lease).
            Delete();
            if (!_writeFailed)
            {
                _writeFailed = true;
                _warn?.Invoke($"The lease record {_path} cannot be written ({ex.Message}): the lease guard is disarmed until it can, and a restarted monitor will not keep this lease.");
            }
        }
    }

    public void Delete()
    {
        try
        {
            File.Delete(_path);
            _written = false;
            _writtenExpiryMs = long.MinValue / 2; // the next save writes, whatever it holds
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A left-over record only makes the next start fence sooner.
        }
    }

    /// <summary>
    /// The expiry on the clock /proc/uptime shows, which is what the lease guard reads. Usually CLOCK_BOOTTIME
    /// itself, but not in a container where lxcfs shows the container's uptime: so the difference is taken here,
    /// both clocks read at once. Null when /proc/uptime cannot be read (the guard then fences nothing).
    /// </summary>
    private static long? UptimeExpiry(long expiresAtMs)
    {
        try
        {
            string first = File.ReadAllText("/proc/uptime").Split(' ')[0];
            long uptimeMs = (long)(decimal.Parse(first, System.Globalization.CultureInfo.InvariantCulture) * 1000);
            return expiresAtMs - Core.MonotonicClock.NowMs + uptimeMs;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }

    private static string BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    // The lease guard reads these names (LeaseGuard.Script): bootId, stoppedAtMs, paused, uptimeExpiresAtMs.
    private sealed record Saved(string BootId, long ExpiresAtMs, long? StoppedAtMs = null, bool Paused = false, long? UptimeExpiresAtMs = null);
}
