namespace PgHa.Operations.Monitor;

/// <summary>
/// Which terms a monitor takes from another. Terms only grow by one per election, switchover or promotion,
/// so a term far ahead of everything a member knows is a bug or an attack, never news: one
/// <c>announce</c> of term 2^63-1 used to be adopted, and the next <c>term + 1</c> overflowed, after which every
/// vote was refused for ever.
/// </summary>
internal static class TermRules
{
    /// <summary>
    /// How far ahead of the term a member knows a term it is told may be. A member falls behind by one term per
    /// election it did not hear of: a failed election (a refused vote, a split) costs a term, and a standby that
    /// stands again and again while a voter still sees the primary, or while its votes are refused, spends one
    /// every 0.2-0.8 s. 32 covers such a burst of elections (about 10 s of them), which is as much as happens
    /// while a member is briefly unreachable; a member cut off for longer reads the term of the current primary
    /// from its own copy of the metadata. Far below any danger: see <see cref="Ceiling"/>.
    /// </summary>
    public const long MaxStep = 32;

    /// <summary>No term above 2^62 is ever taken or chosen: 2^62 elections are beyond any cluster's life, and a term arithmetic on terms up to here cannot overflow.</summary>
    public const long Ceiling = 1L << 62;

    /// <summary>Why <paramref name="offered"/> is refused by a member whose reference term is <paramref name="reference"/>; null when it is acceptable.</summary>
    public static string? Refusal(long offered, long reference)
    {
        if (offered < 0)
        {
            return $"term {offered} is negative";
        }
        if (offered > Ceiling)
        {
            return $"term {offered} is beyond the highest term PgHa ever uses (2^62)";
        }
        if (offered > reference + MaxStep)
        {
            return $"term {offered} is more than {MaxStep} terms ahead of term {reference} that this member knows";
        }
        return null;
    }

    /// <summary>The term after <paramref name="highest"/>, or null at the ceiling (no election is then possible: a term that high was never made by PgHa).</summary>
    public static long? Next(long highest) => highest is >= 0 and < Ceiling ? highest + 1 : null;
}
