namespace PgHa.Bench.Failover;

/// <summary>One round of the probe: the same INSERT tried on every node at once.</summary>
public sealed record WriteTick(long Seq, double StartedAt, IReadOnlyList<WriteAttempt> Attempts)
{
    public int Writable => Attempts.Count(a => a.Ok);
}
