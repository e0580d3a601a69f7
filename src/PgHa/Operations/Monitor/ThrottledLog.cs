using PgHa.Core;
namespace PgHa.Operations.Monitor;

/// <summary>
/// Writes a kind of warning to the monitor's log at most once per interval, with how many were left out: a
/// misconfigured member asking every 250 ms, a scanner, or a check that fails every round of a primary (four
/// times a second) must not flood the log. The line written is the newest one; the ones left out go to the
/// leftOut writer when there is one (the monitor's DEBUG lines), so that a distinct failure is never lost.
/// </summary>
internal sealed class ThrottledLog
{
    private readonly Action<string> _write;
    private readonly Action<string>? _leftOut;
    private readonly TimeSpan _interval;
    private readonly Func<long> _nowMs;
    private readonly object _gate = new();
    private long _lastMs = long.MinValue / 2;
    private int _suppressed;

    /// <param name="leftOut">Where a line left out goes instead (the monitor's DEBUG), so that none is lost; null: nowhere.</param>
    public ThrottledLog(Action<string> write, TimeSpan interval, Func<long>? nowMs = null, Action<string>? leftOut = null)
    {
        _write = write;
        _leftOut = leftOut;
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
                suppressed = -1;
            }
            else
            {
                _lastMs = now;
                suppressed = _suppressed;
                _suppressed = 0;
            }
        }
        if (suppressed < 0)
        {
            _leftOut?.Invoke(message);
            return;
        }
        _write(suppressed == 0 ? message : $"{message} ({suppressed} more such line(s) left out since the last one.)");
    }
}
