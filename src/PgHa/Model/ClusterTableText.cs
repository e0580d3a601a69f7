using System.Globalization;
using System.Text;

namespace PgHa;

/// <summary>
/// The text of `repmgr cluster show` for a PgHaCluster: the same columns, separated by " | ", so a
/// repmgr user reads it at a glance. Used by the PgHaCluster format view (through PgHaCluster.ToTable()).
/// </summary>
internal static class ClusterTableText
{
    private static readonly string[] Headers = ["ID", "Name", "Role", "Status", "Upstream", "Location", "Priority", "Timeline", "Connection string"];

    public static string Render(PgHaCluster cluster)
    {
        var rows = new List<string[]> { Headers };
        foreach (PgHaNode node in cluster.Nodes)
        {
            rows.Add(
            [
                node.Id.ToString(CultureInfo.InvariantCulture),
                node.Name,
                node.Role.ToString().ToLowerInvariant(),
                StatusText(node),
                node.Upstream ?? string.Empty,
                node.Location,
                node.Priority.ToString(CultureInfo.InvariantCulture),
                node.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "?",
                node.Conninfo,
            ]);
        }

        int[] widths = Enumerable.Range(0, Headers.Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        var text = new StringBuilder();
        for (int i = 0; i < rows.Count; i++)
        {
            text.AppendLine(Line(rows[i], widths));
            if (i == 0)
            {
                text.AppendLine(string.Join("-+-", widths.Select(w => new string('-', w))));
            }
        }
        return text.ToString().TrimEnd('\r', '\n');
    }

    /// <summary>repmgr's status words, with its markers: * fine, ! conflict, ? unreachable, - failed/inactive.</summary>
    public static string StatusText(PgHaNode node) => node.Status switch
    {
        PgHaNodeStatus.Running when node.Active => "* running",
        PgHaNodeStatus.Running => "! running (inactive)",
        PgHaNodeStatus.RunningAsPrimary => "! running as primary",
        PgHaNodeStatus.RunningAsStandby => "! running as standby",
        PgHaNodeStatus.Unreachable when node.Active => "? unreachable",
        _ => "- failed",
    };

    private static string Line(string[] cells, int[] widths) =>
        string.Join(" | ", cells.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd();
}
