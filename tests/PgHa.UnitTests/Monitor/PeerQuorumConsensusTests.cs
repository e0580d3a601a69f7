using System.Net;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>
/// The built-in consensus backend against two real peer endpoints on loopback (node2 on 127.0.0.2, node3 on
/// 127.0.0.3), asked by node1: a lease and an election need a majority of all three, counted from the start
/// of the round, and a status the monitor does not admit counts for nothing.
/// </summary>
public sealed class PeerQuorumConsensusTests : IAsyncLifetime
{
    private static readonly ClusterSecret Secret = ClusterSecret.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray());
    private static readonly MonitorSettings Settings = new() { FenceTimeout = TimeSpan.FromSeconds(3.5) };

    private readonly Dictionary<int, PeerServer> _servers = [];
    private readonly Dictionary<int, PeerStatus> _statuses = [];
    private readonly Dictionary<int, bool> _grants = [];
    private MonitorMembers _members = null!;

    public async Task InitializeAsync()
    {
        foreach (int id in new[] { 2, 3 })
        {
            _statuses[id] = new PeerStatus { NodeId = id, NodeName = $"node{id}", Role = MonitorRole.Standby, Term = 5, LeaderId = 1, SeesLeader = true };
            _grants[id] = true;
            var server = new PeerServer(new IPEndPoint(IPAddress.Parse($"127.0.0.{id}"), 0), new PeerSigner(Secret, id), _ => _statuses[id],
                (request, _) => Task.FromResult(request.Op == PeerRequest.VoteOp
                    ? PeerJson.Serialize(new PeerVoteReply(_grants[id], _grants[id] ? "the primary is gone for this member too" : "this member still sees the primary", request.Term))
                    : PeerJson.Serialize(new { ok = _grants[id] })));
            server.Start();
            _servers[id] = server;
        }
        NodeRecord[] nodes = [Node(1, PgHaRole.Primary, 7001), Node(2, PgHaRole.Standby, _servers[2].Endpoint.Port), Node(3, PgHaRole.Standby, _servers[3].Endpoint.Port)];
        _members = await MonitorMembers.ResolveAsync(nodes, selfId: 1, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (PeerServer server in _servers.Values)
        {
            await server.DisposeAsync();
        }
    }

    private static NodeRecord Node(int id, PgHaRole role, int monitorPort) =>
        new(id, $"node{id}", role, role == PgHaRole.Primary ? null : 1, true, "default", 100, $"host=127.0.0.{id} port=5432", null, "/data", null, MonitorPort: monitorPort);

    private PeerQuorumConsensus Consensus(Func<PeerStatus, string?>? admit = null) =>
        new(() => _members, new PeerClient(IPAddress.Loopback, TimeSpan.FromSeconds(2), new PeerSigner(Secret, 1)), Settings, admit ?? (_ => null));

    [Fact]
    public async Task ALeaseBackedByAMajorityRunsAFenceTimeoutFromTheRoundsStart()
    {
        _statuses[3] = _statuses[3] with { SeesLeader = false };

        long before = PgHa.Core.MonotonicClock.NowMs;
        LeaseRenewal renewal = await Consensus().RenewLeaseAsync(5, CancellationToken.None);
        long after = PgHa.Core.MonotonicClock.NowMs;

        Assert.Equal((2, 3, 2), (renewal.Backers, renewal.Members, renewal.Quorum));
        Assert.InRange(renewal.ValidUntilMs!.Value, before + 3500, after + 3500);
    }

    [Fact]
    public async Task NoLeaseWithoutAMajority_ASilentMemberCountsForNothing()
    {
        _statuses[2] = _statuses[2] with { SeesLeader = false };
        await _servers[3].DisposeAsync(); // node3's monitor is gone

        LeaseRenewal renewal = await Consensus().RenewLeaseAsync(5, CancellationToken.None);

        Assert.Null(renewal.ValidUntilMs);
        Assert.Equal(1, renewal.Backers);
    }

    [Fact]
    public async Task AMemberThatSeesAnotherTermOrLeaderDoesNotBackTheLease()
    {
        _statuses[2] = _statuses[2] with { Term = 6 };
        _statuses[3] = _statuses[3] with { LeaderId = 2 };

        Assert.Null((await Consensus().RenewLeaseAsync(5, CancellationToken.None)).ValidUntilMs);
    }

    [Fact]
    public async Task AStatusTheMonitorDoesNotAdmitCountsForNothing()
    {
        var seen = new List<int>();
        PeerQuorumConsensus consensus = Consensus(status =>
        {
            lock (seen)
            {
                seen.Add(status.NodeId);
            }
            return status.NodeId == 3 ? "term out of range" : null;
        });
        _statuses[2] = _statuses[2] with { SeesLeader = false };

        LeaseRenewal renewal = await consensus.RenewLeaseAsync(5, CancellationToken.None);
        IReadOnlyDictionary<int, PeerStatus?> members = await consensus.MembersAsync(null, CancellationToken.None);

        Assert.Null(renewal.ValidUntilMs);
        Assert.Equal([2, 2, 3, 3], seen.Order().ToArray()); // every status passed the monitor's admission, once per round
        Assert.NotNull(members[2]);
        Assert.Null(members[3]);
    }

    [Fact]
    public async Task AnElectionIsWonOnAMajorityOfAllMembers()
    {
        _grants[3] = false;

        long before = PgHa.Core.MonotonicClock.NowMs;
        ElectionOutcome outcome = await Consensus().RequestLeadershipAsync(6, PgHaLsn.Parse("0/5000000"), CancellationToken.None);

        Assert.True(outcome.Won);
        Assert.Equal((2, 3, 2), (outcome.Granted, outcome.Members, outcome.Quorum));
        Assert.True(outcome.LeaseUntilMs >= before + 3500);
        Assert.Contains("node2: yes", outcome.Tally, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnElectionWithoutAMajorityIsLostAndGrantsNoLease()
    {
        _grants[2] = false;
        _grants[3] = false;

        ElectionOutcome outcome = await Consensus().RequestLeadershipAsync(6, PgHaLsn.Parse("0/5000000"), CancellationToken.None);

        Assert.False(outcome.Won);
        Assert.Null(outcome.LeaseUntilMs);
        Assert.Contains("node3: no, this member still sees the primary", outcome.Tally, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAnnouncementTakenByAMajorityIsALeaseFromWhenItWasMade()
    {
        _grants[2] = false;

        LeaseRenewal taken = await Consensus().AnnounceAsync(6, sinceMs: 1_000, CancellationToken.None);

        Assert.Equal(4_500, taken.ValidUntilMs);
        Assert.Equal(2, taken.Backers);
    }
}
