using PgHa.Metadata;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>Who votes: every registered node, active or not (a failed primary's monitor keeps its vote).</summary>
public sealed class MonitorMembersTests
{
    private static NodeRecord Node(int id, PgHaRole role, bool active) =>
        new(id, $"node{id}", role, role == PgHaRole.Primary ? null : 1, active, "default", 100, $"host=127.0.0.{id} port=5432", null, "/data", null, MonitorPort: 7000 + id);

    [Theory]
    [InlineData(true, 3, 2)]   // before a failover
    [InlineData(false, 3, 2)]  // the failed primary marked inactive still counts: 2 of 3, not 2 of 2
    public async Task EveryRegisteredNodeIsAVoter(bool primaryActive, int members, int quorum)
    {
        NodeRecord[] nodes = [Node(1, PgHaRole.Primary, primaryActive), Node(2, PgHaRole.Primary, true), Node(3, PgHaRole.Standby, true)];

        MonitorMembers resolved = await MonitorMembers.ResolveAsync(nodes, selfId: 2, CancellationToken.None);

        Assert.Equal(members, resolved.Nodes.Count);
        Assert.Equal(quorum, ElectionRules.Quorum(resolved.Nodes.Count));
        Assert.NotNull(resolved.EndpointOf(1)); // and it is asked: its monitor vouches for the new primary
        Assert.True(resolved.IsMemberAddress(System.Net.IPAddress.Parse("127.0.0.1")));
    }
}
