namespace PgHa;

/// <summary>One step of a switchover and how long it took.</summary>
public sealed class PgHaSwitchoverStep
{
    public string Name { get; init; } = string.Empty;

    public TimeSpan Duration { get; init; }

    public override string ToString() => $"{Name} {Duration.TotalSeconds:0.000} s";
}
