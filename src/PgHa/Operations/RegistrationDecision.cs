using PgHa.Metadata;

namespace PgHa.Operations;

/// <summary>What registering a node will do to the metadata: the record to write and the action it amounts to.</summary>
internal sealed record RegistrationDecision(NodeRecord Record, PgHaRegistrationAction Action, NodeRecord? PrimaryToDeactivate)
{
    public bool Changed => Action != PgHaRegistrationAction.Unchanged;
}
