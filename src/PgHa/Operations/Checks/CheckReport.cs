namespace PgHa.Operations.Checks;

/// <summary>What a check run found, and which registered nodes there were (to tell a name that matched none).</summary>
internal sealed record CheckReport(IReadOnlyList<PgHaCheckResult> Results, IReadOnlyList<string> RegisteredNodes);
