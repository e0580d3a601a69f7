namespace PgHa.Operations.Roles;

/// <summary>The rejoin decision and the facts behind it, in words an operator can check.</summary>
internal sealed record RejoinVerdict(RejoinMethod Method, string Reason);
