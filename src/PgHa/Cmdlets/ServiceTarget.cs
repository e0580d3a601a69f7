using PgHa.Operations.Host;

namespace PgHa.Cmdlets;

/// <summary>One node a service cmdlet works on: where its server lives, and its record when it is registered.</summary>
internal sealed record ServiceTarget(NodeHost Host, PgHaNode? Record);
