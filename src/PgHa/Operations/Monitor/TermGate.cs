namespace PgHa.Operations.Monitor;

/// <summary>
/// One monitor's check of the terms it is told (in votes, announcements, status replies), by
/// <see cref="TermRules"/>. Its reference is the highest term the member knows (its leader's, its last vote's)
/// or has taken from another member. A term refused for being too far ahead still moves the reference up by
/// <see cref="TermRules.MaxStep"/>: a member that missed more elections than that catches up with the others in
/// a few rounds, while one message can never move it far (nor near an overflow). A term out of range
/// (negative, beyond <see cref="TermRules.Ceiling"/>) is no election anybody ran: it moves nothing.
/// </summary>
internal sealed class TermGate
{
    private readonly object _gate = new();
    private long _mark;

    /// <summary>The highest term taken or stepped to.</summary>
    public long Mark
    {
        get
        {
            lock (_gate)
            {
                return _mark;
            }
        }
    }

    /// <summary>Null when <paramref name="offered"/> may be taken, by a member whose own newest term is <paramref name="known"/>; otherwise why not.</summary>
    public string? Offer(long offered, long known)
    {
        lock (_gate)
        {
            long reference = Math.Min(Math.Max(known, _mark), TermRules.Ceiling);
            string? refusal = TermRules.Refusal(offered, reference);
            if (refusal is null)
            {
                _mark = Math.Max(_mark, offered);
            }
            else if (offered > reference && offered <= TermRules.Ceiling)
            {
                _mark = Math.Min(reference + TermRules.MaxStep, TermRules.Ceiling);
            }
            return refusal;
        }
    }
}
