using System.Globalization;
using System.Text.Json;

namespace PgHa.Tests.Faults;

/// <summary>
/// What one fault scenario measured, and which of the suite's claims it broke: never two nodes accepting
/// writes at once (or, where a bound is stated, not for longer than it), no acknowledged write lost in
/// synchronous mode, never 15 s without a node that takes writes, exactly one primary at the end, every node
/// streaming from it within 15 s of the heal, not
/// counting the start of a monitor process restarted at the heal (reported as <see cref="RestartedMonitorStart"/>).
/// Times are seconds; the fault clock starts when the cluster is ready.
/// </summary>
public sealed record FaultOutcome
{
    public const double StreamingDeadline = 15;

    /// <summary>
    /// The longest the cluster may go without a node that takes writes once the fault began: a failover takes the
    /// detection window (7 s) and the election, a frozen or cut-off primary the same; issue 9's worst (a cluster
    /// left without a primary for 90 s) and a follow stuck behind a cut-off server (33 s) are what it fails.
    /// </summary>
    public const double WithoutWritesDeadline = 15;

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

    /// <summary>The longest stretch after the fault in which no node acknowledged a write (the watcher's probes).</summary>
    public double LongestWithoutWrites { get; init; }

    /// <summary>
    /// When the scenario restarts a monitor at its heal (a reboot, a service manager restarting a killed monitor):
    /// how long after the heal that process took to start running the monitor (the .NET runtime, PowerShell and
    /// the module loading: 1.5 s on a quiet machine here, 3.5-6.5 s on the fault suite's loaded 2 cores). The
    /// streaming bound counts from then: before it no HA tool runs on that node, and its spread is the host's
    /// load, not a decision of PgHa's. Null when no monitor was restarted at the heal.
    /// </summary>
    public double? RestartedMonitorStart { get; init; }

    /// <summary>Heal to all streaming, less the restarted monitor's process start: what <see cref="StreamingDeadline"/> bounds.</summary>
    public double? TimeToAllStreamingOnceRunning => TimeToAllStreaming - (RestartedMonitorStart ?? 0);

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
            if (LongestWithoutWrites > WithoutWritesDeadline)
            {
                failures.Add($"no node took a write for {LongestWithoutWrites:0.0} s (more than {WithoutWritesDeadline} s)");
            }
            if (PrimariesAtEnd != 1)
            {
                failures.Add($"{PrimariesAtEnd} primaries at the end");
            }
            if (TimeToAllStreaming is null || TimeToAllStreamingOnceRunning > StreamingDeadline)
            {
                failures.Add(TimeToAllStreaming is null
                    ? "not every node streamed from one primary after the heal"
                    : RestartedMonitorStart is { } start
                        ? $"every node streamed from {FinalPrimary} only {TimeToAllStreamingOnceRunning:0.0} s after the restarted monitor ran ({TimeToAllStreaming:0.0} s after the heal, {start:0.0} s of it its process start; more than {StreamingDeadline} s)"
                        : $"every node streamed from {FinalPrimary} only {TimeToAllStreaming:0.0} s after the heal (more than {StreamingDeadline} s)");
            }
            return failures;
        }
    }

    public bool Passed => Failures.Count == 0;

    public override string ToString()
    {
        string restart = RestartedMonitorStart is { } start ? string.Create(CultureInfo.InvariantCulture, $" (the restarted monitor's process start {start:0.00} s of it)") : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Scenario}: {(Passed ? "PASS" : "FAIL: " + string.Join("; ", Failures))}. max writable at once {MaxWritableAtOnce} ({TwoWritableSeconds:0.000} s with two), " +
            $"acked {AckedWrites}, lost {LostAckedWrites} ({LostByNode}), primaries at end {PrimariesAtEnd} ({FinalPrimary ?? "none"}), " +
            $"one primary after {Seconds(TimeToOnePrimary)} (none for {LongestWithoutWrites:0.00} s at most), all streaming after {Seconds(TimeToAllStreaming)}{restart}; fault at {FaultAtUtc:HH:mm:ss.fff} UTC");
    }

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
            restartedMonitorStart = RestartedMonitorStart,
            longestWithoutWrites = LongestWithoutWrites,
        });
        lock (typeof(FaultOutcome))
        {
            File.AppendAllText(file, line + "\n");
        }
    }
}
