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
        Changed = action != PgHaRegistrationAction.Unchanged,
        MetadataConninfo = WriteTo.ToDisplayString(),
    };
}
