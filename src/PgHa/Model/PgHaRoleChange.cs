namespace PgHa;

/// <summary>What a role change did to one node (Invoke-PgHaPromote, Invoke-PgHaFollow, Invoke-PgHaRejoin).</summary>
public sealed class PgHaRoleChange
{
    public string Node { get; init; } = string.Empty;

    /// <summary>Promote, Follow, Rejoin.</summary>
    public string Action { get; init; } = string.Empty;

    public PgHaRole RoleBefore { get; init; }

    public PgHaRole RoleAfter { get; init; }

    /// <summary>The node it streamed from before (standbys), or null.</summary>
    public string? UpstreamBefore { get; init; }

    /// <summary>The node it streams from now (standbys), or null for a primary.</summary>
    public string? UpstreamAfter { get; init; }

    /// <summary>The node's timeline afterwards.</summary>
    public int? Timeline { get; init; }

    /// <summary>How it got there: Direct (no rewind needed), Rewind (pg_rewind), or null where that does not apply.</summary>
    public string? Method { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>False when the node already was where it was asked to be.</summary>
    public bool Changed { get; init; }

    public override string ToString() => $"{Node} {Action}";
}
