using PgHa.Conninfo;
using PgHa.Metadata;

namespace PgHa.Operations;

/// <summary>
/// The outcome of every check of a registration: what will be written, where (<see cref="WriteTo"/>, the
/// primary), and which metadata databases must be created first. Nothing is written yet.
/// <see cref="PrimaryLiveness"/> holds, per currently registered primary, whether it still runs as one.
/// </summary>
internal sealed record RegistrationPlan(
    RegistrationRequest Request,
    RegistrationDecision Decision,
    ConnectionInfo WriteTo,
    bool CreateMetadataDatabase,
    bool CreateWitnessDatabase,
    string? UpstreamName,
    IReadOnlyDictionary<int, bool> PrimaryLiveness)
{
    public NodeRecord Record => Decision.Record;

    /// <summary>The primary's metadata schema is older than this PgHa: writing upgrades it.</summary>
    public bool SchemaUpgradeNeeded { get; init; }

    /// <summary>A witness's own copy of the node records differs from the primary's (or is missing).</summary>
    public bool WitnessCopyStale { get; init; }

    /// <summary>Whether applying the plan writes anything at all.</summary>
    public bool NeedsWrite => Decision.Changed || SchemaUpgradeNeeded || WitnessCopyStale;

    public PgHaNodeRegistration ToResult(PgHaRegistrationAction action) => new()
    {
        NodeId = Record.Id,
        Name = Record.Name,
        Role = Record.Role,
        Upstream = UpstreamName,
        Location = Record.Location,
        Priority = Record.Priority,
        Conninfo = Record.Conninfo,
        Action = action,
        Changed = action != PgHaRegistrationAction.Unchanged || SchemaUpgradeNeeded || WitnessCopyStale,
        MetadataConninfo = WriteTo.ToDisplayString(),
    };
}
