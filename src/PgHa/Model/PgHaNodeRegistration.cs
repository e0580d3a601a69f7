namespace PgHa;

/// <summary>What Register-PgHaNode or Unregister-PgHaNode did to one node's record.</summary>
public sealed class PgHaNodeRegistration
{
    public int NodeId { get; init; }

    public string Name { get; init; } = string.Empty;

    public PgHaRole Role { get; init; }

    public string? Upstream { get; init; }

    public string Location { get; init; } = string.Empty;

    public int Priority { get; init; }

    /// <summary>The stored conninfo; never holds a password.</summary>
    public string Conninfo { get; init; } = string.Empty;

    public PgHaRegistrationAction Action { get; init; }

    /// <summary>False when the record already said exactly this (a repeated call changes nothing).</summary>
    public bool Changed { get; init; }

    /// <summary>The conninfo (without password) of the primary whose metadata was written.</summary>
    public string MetadataConninfo { get; init; } = string.Empty;

    public override string ToString() => $"{Name} {Action}";
}
