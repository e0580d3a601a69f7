using PgHa.Metadata;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

public sealed class PromotionRecordsTests
{
    private static NodeRecord Node(int id, PgHaRole role, int? upstream, bool active = true) =>
        new(id, $"node{id}", role, upstream, active, "default", 100, $"host=127.0.0.{id} port=5432", null, "/data", null, MonitorPort: 7000 + id);

    [Fact]
    public void TheLeaderVotedOutGoesInactiveItsStandbysFollowTheWinnerAndTheWinnerComesLast()
    {
        NodeRecord[] nodes = [Node(1, PgHaRole.Primary, null), Node(2, PgHaRole.Standby, 1), Node(3, PgHaRole.Standby, 1), Node(4, PgHaRole.Witness, null)];

        IReadOnlyList<NodeRecord> changed = PromotionRecords.Changed(nodes, selfId: 2, oldLeaderId: 1);

        Assert.Equal(["node1 Primary active=False up=", "node3 Standby active=True up=2", "node2 Primary active=True up="],
            changed.Select(n => $"{n.Name} {n.Role} active={n.Active} up={n.UpstreamId}").ToArray());
    }

    [Fact]
    public void AFailoverThisCopyNeverSawDoesNotLeaveTwoActivePrimaries()
    {
        // HangingHookThenNewPrimaryCutOff: node2 won term 2 and was cut off before node3 followed it, so node3's
        // copy still has node1 as the active primary and node2 as a standby; node3 wins term 3 voting node2 out.
        NodeRecord[] nodes = [Node(1, PgHaRole.Primary, null), Node(2, PgHaRole.Standby, 1), Node(3, PgHaRole.Standby, 1)];

        IReadOnlyList<NodeRecord> changed = PromotionRecords.Changed(nodes, selfId: 3, oldLeaderId: 2);

        Assert.Equal(["node1 Primary active=False", "node2 Standby active=False", "node3 Primary active=True"],
            changed.Select(n => $"{n.Name} {n.Role} active={n.Active}").ToArray());
        Assert.Single(changed, n => n is { Role: PgHaRole.Primary, Active: true });
    }
}
