using System.Net;
using PgHa.Metadata;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>Who may ask what of a monitor once the signature is checked (<see cref="PeerRequestRules"/>); this monitor is node 1 at 127.0.20.1.</summary>
public sealed class PeerRequestRulesTests
{
    private static readonly MonitorMembers Members = MonitorMembers.ResolveAsync(
    [
        Node(1, "127.0.20.1"),
        Node(2, "127.0.20.2"),
        Node(3, "127.0.20.3"),
    ], selfId: 1, CancellationToken.None).GetAwaiter().GetResult();

    private static NodeRecord Node(int id, string address) =>
        new(id, $"node{id}", PgHaRole.Standby, null, true, "default", 100, $"host={address} port=5432 user=postgres dbname=pgha", null, $"/data/{id}", null);

    public static TheoryData<string, int, int, bool, string, string?> Cases => new()
    {
        // op, request's node id, sender node id, signed, sender address, refusal contains (null: taken)
        { PeerRequest.VoteOp, 2, 2, true, "127.0.20.2", null },
        { PeerRequest.AnnounceOp, 3, 3, true, "127.0.20.3", null },
        { PeerRequest.VoteOp, 2, 2, false, "127.0.20.2", "unsigned" },
        { PeerRequest.VoteOp, 3, 2, true, "127.0.20.2", "asks for itself only" },
        { PeerRequest.AnnounceOp, 3, 2, true, "127.0.20.2", "announces itself only" },
        { PeerRequest.VoteOp, 9, 9, true, "127.0.20.2", "not another registered member" },
        { PeerRequest.VoteOp, 1, 1, true, "127.0.20.2", "not another registered member" },
        { PeerRequest.VoteOp, 0, 0, true, "127.0.20.2", "not another registered member" },
        { PeerRequest.VoteOp, 2, 2, true, "127.0.0.1", "not the address of a registered member" },
        { PeerRequest.PauseOp, 0, 0, true, "10.1.2.3", null },
        { PeerRequest.ResumeOp, 0, 2, true, "127.0.20.2", null },
        { PeerRequest.PauseOp, 0, 0, false, "127.0.0.1", "unsigned" },
        { "shutdown", 0, 2, true, "127.0.20.2", "unknown request" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnlyMembersVoteAndAnnounceForThemselvesAndOnlySecretHoldersPause(string op, int nodeId, int sender, bool signed, string address, string? refusal)
    {
        var request = new PeerRequest { Op = op, Term = 5, NodeId = nodeId };

        string? why = PeerRequestRules.Refusal(request, new PeerCaller(sender, signed, IPAddress.Parse(address)), Members);

        if (refusal is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Contains(refusal, why);
        }
    }
}
