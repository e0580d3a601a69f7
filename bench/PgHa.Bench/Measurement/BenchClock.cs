using System.Diagnostics;

namespace PgHa.Bench.Measurement;

/// <summary>
/// One monotonic clock for every timestamp of a run (a kill, each probe write, each poll), in seconds since
/// the program started, so that differences between them are exact whatever the wall clock does.
/// </summary>
public static class BenchClock
{
    private static readonly long Start = Stopwatch.GetTimestamp();

    public static double Now => Stopwatch.GetElapsedTime(Start).TotalSeconds;
}
