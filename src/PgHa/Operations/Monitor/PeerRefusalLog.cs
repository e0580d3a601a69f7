using PgHa.Core;
namespace PgHa.Operations.Monitor;

/// <summary>
/// Writes why a peer message was refused to the monitor's log, at most one line per interval (with how many
/// were left out): a misconfigured member asking every 250 ms, or a scanner, must not flood the log.
/// </summary>
internal sealed class PeerRefusalLog
{
    private readonly Action<string> _write;
    private readonly TimeSpan _interval;
    private readonly Func<long> _nowMs;
    private readonly object _gate = new();
    private long _lastMs = long.MinValue / 2;
    private int _suppressed;

    public PeerRefusalLog(Action<string> write, TimeSpan interval, Func<long>? nowMs = null)
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
        _write(suppressed == 0 ? message : $"{message} ({suppressed} more refusal(s) since the last such line.)");
    }
}
