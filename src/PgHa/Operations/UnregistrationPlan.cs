using PgHa.Conninfo;
using PgHa.Metadata;

namespace PgHa.Operations;

/// <summary>The node record to remove and the primary whose metadata is written. Nothing is written yet.</summary>
internal sealed record UnregistrationPlan(NodeRecord Node, ConnectionInfo WriteTo, bool Force);
