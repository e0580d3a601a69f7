namespace PgHa.Operations.Monitor;

/// <summary>
/// The nonces of signed requests accepted lately, each kept until its message would be refused for its age
/// anyway (its time + the window): together with the time check, a captured request is taken at most once.
/// Bounded: only requests whose MAC was right are added, so only holders of the secret can fill it; when
/// it is full of unexpired nonces a new request is refused (fail closed) rather than an old nonce forgotten.
/// </summary>
internal sealed class ReplayCache
{
    private readonly int _capacity;
    private readonly Dictionary<string, long> _expiries = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public ReplayCache(int capacity) => _capacity = capacity;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _expiries.Count;
            }
        }
    }

    /// <summary>Adds the nonce; false when it was seen before (a replay) or no room is left.</summary>
    public bool TryAdd(string nonce, long expiresAtMs, long nowMs, out bool full)
    {
        lock (_gate)
        {
            full = false;
            if (_expiries.TryGetValue(nonce, out long expiry) && expiry > nowMs)
            {
                return false;
            }
            if (_expiries.Count >= _capacity)
            {
                foreach (var (old, until) in _expiries.ToList())
                {
                    if (until <= nowMs)
                    {
                        _expiries.Remove(old);
                    }
                }
                if (_expiries.Count >= _capacity)
                {
                    full = true;
                    return false;
                }
            }
            _expiries[nonce] = expiresAtMs;
            return true;
        }
    }
}
