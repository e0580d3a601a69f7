using System.Globalization;
using System.Text.Json;

namespace PgHa.Tests.Faults;

/// <summary>
/// What one fault scenario measured, and which of the suite's claims it broke: never two nodes accepting
/// writes at once (or, where a bound is stated, not for longer than it), no acknowledged write lost in
/// synchronous mode, exactly one primary at the end, every node streaming from it within 15 s of the heal.
/// Times are seconds; the fault clock starts when the cluster is ready.
/// </summary>
public sealed record FaultOutcome
{
    public const double StreamingDeadline = 15;

    public required string Scenario { get; init; }
    public required bool Synchronous { get; init; }
    public required DateTimeOffset FaultAtUtc { get; init; }
    public required int MaxWritableAtOnce { get; init; }
    public required double TwoWritableSeconds { get; init; }

    /// <summary>When two nodes accepted writes, the longest stretch allowed (the async freeze's bound); null: never.</summary>
    public double? TwoWritableBound { get; init; }
    public required int AckedWrites { get; init; }
    public required int LostAckedWrites { get; init; }

    /// <summary>Lost acknowledged writes by the node that acknowledged them, e.g. "node1=12".</summary>
    public required string LostByNode { get; init; }
    public required int PrimariesAtEnd { get; init; }
    public string? FinalPrimary { get; init; }
    public double? TimeToOnePrimary { get; init; }
    public double? TimeToAllStreaming { get; init; }

    public IReadOnlyList<string> Failures
    {
        get
        {
            var failures = new List<string>();
            if (MaxWritableAtOnce > 1 && (TwoWritableBound is null || TwoWritableSeconds > TwoWritableBound))
            {
                failures.Add(TwoWritableBound is null
                    ? $"{MaxWritableAtOnce} nodes accepted writes at once, for {TwoWritableSeconds:0.000} s in all"
                    : $"two nodes accepted writes for {TwoWritableSeconds:0.000} s, more than the bound of {TwoWritableBound:0.000} s");
            }
            if (Synchronous && LostAckedWrites > 0)
            {
                failures.Add($"{LostAckedWrites} acknowledged writes lost in synchronous mode ({LostByNode})");
            }
            if (PrimariesAtEnd != 1)
            {
                failures.Add($"{PrimariesAtEnd} primaries at the end");
            }
            if (TimeToAllStreaming is null || TimeToAllStreaming > StreamingDeadline)
            {
                failures.Add(TimeToAllStreaming is null
                    ? "not every node streamed from one primary after the heal"
                    : $"every node streamed from {FinalPrimary} only {TimeToAllStreaming:0.0} s after the heal (more than {StreamingDeadline} s)");
            }
            return failures;
        }
    }

    public bool Passed => Failures.Count == 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Scenario}: {(Passed ? "PASS" : "FAIL: " + string.Join("; ", Failures))}. max writable at once {MaxWritableAtOnce} ({TwoWritableSeconds:0.000} s with two), " +
        $"acked {AckedWrites}, lost {LostAckedWrites} ({LostByNode}), primaries at end {PrimariesAtEnd} ({FinalPrimary ?? "none"}), " +
        $"one primary after {Seconds(TimeToOnePrimary)}, all streaming after {Seconds(TimeToAllStreaming)}; fault at {FaultAtUtc:HH:mm:ss.fff} UTC");

    private static string Seconds(double? value) => value is null ? "never" : string.Create(CultureInfo.InvariantCulture, $"{value:0.00} s");

    /// <summary>Appends this outcome as one JSON line to the file named by PGHA_FAULTS_RESULTS (bench/faults.sh reads it), if set.</summary>
    public void Record()
    {
        string? file = Environment.GetEnvironmentVariable("PGHA_FAULTS_RESULTS");
        if (string.IsNullOrEmpty(file))
        {
            return;
        }
        string line = JsonSerializer.Serialize(new
        {
            scenario = Scenario,
            passed = Passed,
            failures = Failures,
            maxWritableAtOnce = MaxWritableAtOnce,
            twoWritableSeconds = TwoWritableSeconds,
            ackedWrites = AckedWrites,
            lostAckedWrites = LostAckedWrites,
            lostByNode = LostByNode,
            primariesAtEnd = PrimariesAtEnd,
            finalPrimary = FinalPrimary,
            timeToOnePrimary = TimeToOnePrimary,
            timeToAllStreaming = TimeToAllStreaming,
        });
        lock (typeof(FaultOutcome))
        {
            File.AppendAllText(file, line + "\n");
        }
    }
}
