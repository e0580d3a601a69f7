using PgHa.Core;
namespace PgHa.Operations.Monitor;

/// <summary>
/// Writes a kind of warning to the monitor's log at most once per interval, with how many were left out: a
/// misconfigured member asking every 250 ms, a scanner, or a check that fails every round of a primary (four
/// times a second) must not flood the log. The line written is the newest one.
/// </summary>
internal sealed class ThrottledLog
{
    private readonly Action<string> _write;
    private readonly TimeSpan _interval;
    private readonly Func<long> _nowMs;
    private readonly object _gate = new();
    private long _lastMs = long.MinValue / 2;
    private int _suppressed;

    public ThrottledLog(Action<string> write, TimeSpan interval, Func<long>? nowMs = null)
    {
        _write = write;
        _interval = interval;
        _nowMs = nowMs ?? (() => MonotonicClock.NowMs);
    }

    public void Note(string message)
    {
        int suppressed;
        lock (_gate)
        {
            long now = _nowMs();
            if (now - _lastMs < _interval.TotalMilliseconds)
            {
                _suppressed++;
                return;
            }
            _lastMs = now;
            suppressed = _suppressed;
            _suppressed = 0;
        }
        _write(suppressed == 0 ? message : $"{message} ({suppressed} more such line(s) left out since the last one.)");
    }
}
