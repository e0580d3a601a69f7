namespace PgHa.Operations.Roles;

/// <summary>Whether a node's WAL lets it stream from a given upstream.</summary>
internal enum FollowVerdict
{
    /// <summary>Its position is on the upstream's history: it can follow directly.</summary>
    Yes,

    /// <summary>It went on past the point where the upstream's history left its timeline: pg_rewind (or a new clone) first.</summary>
    Diverged,

    /// <summary>Its timeline is not on the upstream's history at all (another branch, or newer): it cannot follow.</summary>
    NotOnHistory,
}
