namespace PgHa.Bench.Measurement;

/// <summary>One line of a results table: what was timed, on how many nodes, and how long it took.</summary>
public sealed record ResultRow(string Scenario, int Nodes, int Unreachable, TimingSummary Timing);
