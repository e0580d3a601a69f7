using System.Diagnostics;

namespace PgHa.Bench.Measurement;

/// <summary>Median, min and max wall-clock time of a number of runs, in milliseconds.</summary>
public sealed record TimingSummary(int Runs, double MedianMs, double MinMs, double MaxMs)
{
    /// <summary>
    /// One untimed warm-up call (JIT, first connections, the module's first use of each code path), then
    /// <paramref name="runs"/> timed calls one after another.
    /// </summary>
    public static async Task<TimingSummary> MeasureAsync(Func<Task> run, int runs, CancellationToken cancellationToken)
    {
        await run();
        var samples = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stopwatch = Stopwatch.StartNew();
            await run();
            samples.Add(stopwatch.Elapsed.TotalMilliseconds);
        }
        return FromSamples(samples);
    }

    public static TimingSummary FromSamples(IReadOnlyList<double> samples)
    {
        var sorted = samples.Order().ToList();
        var middle = sorted.Count / 2;
        var median = sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new TimingSummary(sorted.Count, median, sorted[0], sorted[^1]);
    }
}
