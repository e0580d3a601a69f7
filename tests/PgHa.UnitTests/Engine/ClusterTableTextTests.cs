using PgHa;
using Xunit;

namespace PgHa.UnitTests.Engine;

public sealed class ClusterTableTextTests
{
    [Fact]
    public void RendersRepmgrColumnsAligned()
    {
        var cluster = new PgHaCluster
        {
            Primary = "node1",
            Nodes =
            [
                new PgHaNode { Id = 1, Name = "node1", Role = PgHaRole.Primary, Status = PgHaNodeStatus.Running, Active = true, Location = "default", Priority = 100, Timeline = 1, Conninfo = "host=127.0.0.21 dbname=pgha" },
                new PgHaNode { Id = 2, Name = "node2", Role = PgHaRole.Standby, Status = PgHaNodeStatus.Unreachable, Active = true, Upstream = "node1", Location = "dc2", Priority = 0, Conninfo = "host=127.0.0.22 dbname=pgha" },
                new PgHaNode { Id = 3, Name = "node3", Role = PgHaRole.Standby, Status = PgHaNodeStatus.RunningAsPrimary, Active = true, Upstream = "node1", Location = "default", Priority = 100, Timeline = 2, Conninfo = "host=127.0.0.23 dbname=pgha" },
            ],
        };

        string[] lines = cluster.ToTable().Split('\n');
        Assert.Equal("ID | Name  | Role    | Status               | Upstream | Location | Priority | Timeline | Connection string", lines[0]);
        Assert.StartsWith("---+-------+-", lines[1]);
        Assert.Contains("* running", lines[2]);
        Assert.Contains("? unreachable", lines[3]);
        Assert.Contains("! running as primary", lines[4]);
        Assert.Contains("| ?        |", lines[3]);
        // Every row puts its separators in the same places.
        int[] bars = lines[0].Select((c, i) => (c, i)).Where(p => p.c == '|').Select(p => p.i).ToArray();
        foreach (string row in lines.Skip(2))
        {
            Assert.Equal(bars, row.Select((c, i) => (c, i)).Where(p => p.c == '|').Select(p => p.i).Take(bars.Length).ToArray());
        }
    }
}
