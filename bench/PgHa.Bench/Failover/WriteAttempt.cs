using PgHa.Bench.Measurement;

namespace PgHa.Bench.Failover;

/// <summary>One INSERT tried on one node: when it was acknowledged or refused (<see cref="BenchClock"/> seconds), and why not.</summary>
public sealed record WriteAttempt(string Node, double At, bool Ok, string? Error);
