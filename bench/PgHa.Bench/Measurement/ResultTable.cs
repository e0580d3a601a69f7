using System.Globalization;
using System.Text;

namespace PgHa.Bench.Measurement;

/// <summary>Rows collected during a benchmark, rendered as the markdown table that bench/README.md quotes.</summary>
public sealed class ResultTable
{
    private readonly List<ResultRow> _rows = [];

    public void Add(ResultRow row)
    {
        _rows.Add(row);
        // Printed as it comes, so a run cut short still shows what it measured.
        Console.WriteLine($"  {row.Scenario} ({row.Nodes} nodes): median {Ms(row.Timing.MedianMs)} ms, min {Ms(row.Timing.MinMs)}, max {Ms(row.Timing.MaxMs)}");
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| Scenario | Nodes | Unreachable | Runs | Median ms | Min ms | Max ms |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in _rows)
        {
            text.AppendLine($"| {row.Scenario} | {row.Nodes} | {row.Unreachable} | {row.Timing.Runs} | {Ms(row.Timing.MedianMs)} | {Ms(row.Timing.MinMs)} | {Ms(row.Timing.MaxMs)} |");
        }
        return text.ToString();
    }

    private static string Ms(double milliseconds) => milliseconds.ToString("0", CultureInfo.InvariantCulture);
}
