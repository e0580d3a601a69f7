using System.Text.Json;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>The monitors' wire format: one JSON object per line, camelCase, enums as their names.</summary>
public sealed class PeerJsonTests
{
    [Fact]
    public void AStatusSurvivesTheRoundTrip()
    {
        var status = new PeerStatus
        {
            NodeId = 2,
            NodeName = "node2",
            Role = MonitorRole.Standby,
            ServerRunning = true,
            Fenced = false,
            Term = 4,
            LeaderId = 3,
            SeesLeader = true,
            LeaderFailed = false,
            LeaderLastSeenSecondsAgo = 0.25,
            ReceivedLsn = "0/3000148",
            Priority = 150,
            Location = "dc2",
            Paused = true,
            Failover = PgHaFailoverMode.Manual,
            ProcessId = 4242,
            StartedAt = new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero),
            LastCheckAt = new DateTimeOffset(2026, 11, 24, 9, 5, 0, TimeSpan.Zero),
            Version = "0.1.0",
        };

        string line = PeerJson.Serialize(status);

        Assert.DoesNotContain('\n', line);
        Assert.Contains("\"role\":\"standby\"", line, StringComparison.Ordinal); // roles travel as their lowercase names
        Assert.Equal(status, PeerJson.Deserialize<PeerStatus>(line));
    }

    [Fact]
    public void EnumsTravelAsTheirNamesAndPropertiesInCamelCase()
    {
        string line = PeerJson.Serialize(new PeerStatus { NodeId = 1, Failover = PgHaFailoverMode.Automatic, LeaderId = null });
        using JsonDocument json = JsonDocument.Parse(line);
        Assert.Equal("Automatic", json.RootElement.GetProperty("failover").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("nodeId").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("leaderId").ValueKind);
    }

    [Fact]
    public void AnEnumNameIsReadBack()
    {
        PeerStatus status = PeerJson.Deserialize<PeerStatus>("{\"nodeId\":3,\"failover\":\"Manual\"}");
        Assert.Equal(PgHaFailoverMode.Manual, status.Failover);
        Assert.Equal(3, status.NodeId);
    }

    [Fact]
    public void AVoteRequestSurvivesTheRoundTrip()
    {
        var request = new PeerRequest { Op = PeerRequest.VoteOp, Term = 7, NodeId = 3, Lsn = "0/5037B60" };
        string line = PeerJson.Serialize(request);

        Assert.Contains("\"op\":\"vote\"", line, StringComparison.Ordinal);
        Assert.Equal(request, PeerJson.Deserialize<PeerRequest>(line));
    }

    [Fact]
    public void ARequestWithoutAnOperationIsAStatusRequest()
    {
        PeerRequest request = PeerJson.Deserialize<PeerRequest>("{}");
        Assert.Equal(PeerRequest.StatusOp, request.Op);
        Assert.Null(request.Lsn);
    }

    [Fact]
    public void AnAnnouncementIsReadWhateverTheCaseOfItsNames()
    {
        PeerRequest request = PeerJson.Deserialize<PeerRequest>("{\"Op\":\"announce\",\"Term\":3,\"NodeId\":2}");
        Assert.Equal(new PeerRequest { Op = PeerRequest.AnnounceOp, Term = 3, NodeId = 2 }, request);
    }

    [Fact]
    public void AVoteReplySurvivesTheRoundTrip()
    {
        var reply = new PeerVoteReply(Granted: false, Reason: "this member still sees the primary node1", Term: 4);
        Assert.Equal(reply, PeerJson.Deserialize<PeerVoteReply>(PeerJson.Serialize(reply)));
    }

    [Fact]
    public void ANullMessageIsRefused()
    {
        Assert.Throws<JsonException>(() => PeerJson.Deserialize<PeerRequest>("null"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not json")]
    [InlineData("{\"nodeId\":\"two\"}")]
    public void AnAnswerThatIsNoStatusIsNoStatus(string? line)
    {
        Assert.Null(PeerClient.TryParse<PeerStatus>(line));
    }
}
