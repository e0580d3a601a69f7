using System.Text.Json;
using PgHa.Operations.Monitor;
using PgHa.Operations.Monitor.Health;
using Xunit;

namespace PgHa.UnitTests.Monitor.Health;

/// <summary>What each path answers for each state of a node: the rules HAProxy and keepalived rely on.</summary>
public sealed class HealthAnswersTests
{
    private const long Now = 100_000;
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(7);

    private static readonly MonitorSnapshot Primary = new()
    {
        TakenAtMs = Now - 200,
        TakenAt = DateTimeOffset.UtcNow,
        NodeId = 1,
        NodeName = "node1",
        Role = MonitorRole.Primary,
        ServerRunning = true,
        InRecovery = false,
        Term = 3,
        Leader = "node1",
        IsLeader = true,
        LeaseExpiresMs = Now + 3000,
        Timeline = 2,
    };

    private static readonly MonitorSnapshot Standby = new()
    {
        TakenAtMs = Now - 200,
        NodeId = 2,
        NodeName = "node2",
        Role = MonitorRole.Standby,
        ServerRunning = true,
        InRecovery = true,
        Term = 3,
        Leader = "node1",
        StreamingFromUpstream = true,
        Upstream = "node1",
        LagBytes = 4096,
        LagSeconds = 0.5,
    };

    private static readonly MonitorSnapshot Stopped = Standby with { Role = MonitorRole.Down, ServerRunning = false, InRecovery = null, StreamingFromUpstream = false, LagBytes = null, LagSeconds = null };

    public static TheoryData<string, string, string, int> Cases() => new()
    {
        // state, path, query, status
        { "primary", "/primary", "", 200 },
        { "primary", "/", "", 200 },
        { "primary", "/master", "", 200 },
        { "primary", "/replica", "", 503 },
        { "primary", "/read-only", "", 200 },
        { "primary", "/health", "", 200 },
        { "primary-lease-ended", "/primary", "", 503 },
        { "primary-lease-ended", "/read-only", "", 503 },
        { "primary-lease-ended", "/health", "", 200 },
        { "primary-paused", "/primary", "", 200 },
        { "primary-fenced", "/primary", "", 503 },
        { "primary-other-leader", "/primary", "", 503 },
        { "primary-stale", "/primary", "", 503 },
        { "primary-stale", "/health", "", 503 },
        { "primary-stale", "/metrics", "", 200 },
        { "primary-stale", "/cluster", "", 200 },
        { "standby", "/primary", "", 503 },
        { "standby", "/replica", "", 200 },
        { "standby", "/replica", "lag=4kB", 200 },
        { "standby", "/replica", "lag=4095", 503 },
        { "standby", "/replica", "lag=1s", 200 },
        { "standby", "/replica", "lag=100ms", 503 },
        { "standby", "/replica", "lag=lots", 400 },
        { "standby", "/read-only", "lag=100ms", 503 },
        { "standby", "/read-only", "", 200 },
        { "standby-not-streaming", "/replica", "", 503 },
        { "standby-not-streaming", "/read-only", "", 503 },
        { "standby-not-streaming", "/health", "", 200 },
        { "standby-paused", "/replica", "", 200 },
        { "stopped", "/health", "", 503 },
        { "stopped", "/replica", "", 503 },
        { "stopped", "/primary", "", 503 },
        { "stopped", "/metrics", "", 200 },
        { "primary", "/nothing", "", 404 },
    };

    private static MonitorSnapshot State(string name) => name switch
    {
        "primary" => Primary,
        "primary-lease-ended" => Primary with { LeaseExpiresMs = Now },
        "primary-paused" => Primary with { Paused = true, LeaseExpiresMs = long.MaxValue },
        "primary-fenced" => Primary with { Fenced = true },
        "primary-other-leader" => Primary with { IsLeader = false, Leader = "node2", Term = 4, LeaseExpiresMs = null },
        "primary-stale" => Primary with { TakenAtMs = Now - 8000, LeaseExpiresMs = long.MaxValue },
        "standby" => Standby,
        "standby-not-streaming" => Standby with { StreamingFromUpstream = false },
        "standby-paused" => Standby with { Paused = true },
        "stopped" => Stopped,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Status(string state, string path, string query, int status)
    {
        var request = new HealthRequest("GET", path, query.Length == 0 ? new Dictionary<string, string>()
            : new Dictionary<string, string> { [query.Split('=')[0]] = query.Split('=')[1] });
        HealthResponse response = HealthAnswers.Answer(request, State(state), Now, StaleAfter);
        Assert.True(status == response.Status, $"{state} {path}?{query}: {response.Status} {response.Body}");
    }

    [Fact]
    public void NodeAnswer_SaysHowOldTheSnapshotIs_AndWhy()
    {
        HealthResponse response = HealthAnswers.Answer(new HealthRequest("GET", "/primary", new Dictionary<string, string>()), Primary with { Fenced = true }, Now, StaleAfter);
        Assert.Equal(0.2, response.SnapshotAgeSeconds!.Value, 3);
        using JsonDocument body = JsonDocument.Parse(response.Body);
        Assert.Equal(0.2, body.RootElement.GetProperty("snapshotAgeSeconds").GetDouble(), 3);
        Assert.Equal("this node is fenced", body.RootElement.GetProperty("reason").GetString());
        Assert.True(body.RootElement.GetProperty("fenced").GetBoolean());
        Assert.Equal(3, body.RootElement.GetProperty("term").GetInt64());
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public void NothingChangesState_OtherMethods405(string method)
    {
        HealthResponse response = HealthAnswers.Answer(new HealthRequest(method, "/primary", new Dictionary<string, string>()), Primary, Now, StaleAfter);
        Assert.Equal(405, response.Status);
        Assert.Contains(("Allow", "GET, HEAD"), response.ExtraHeaders);
    }

    [Fact]
    public void BeforeTheFirstRound_503()
    {
        Assert.Equal(503, HealthAnswers.Answer(new HealthRequest("GET", "/health", new Dictionary<string, string>()), null, Now, StaleAfter).Status);
    }

    [Fact]
    public void Cluster_MembersWithoutConninfo()
    {
        var snapshot = Primary with { Members = [new SnapshotMember(1, "node1", "primary", true, null, "default", 100, "127.0.0.20", 5432, true)] };
        HealthResponse response = HealthAnswers.Answer(new HealthRequest("GET", "/cluster", new Dictionary<string, string>()), snapshot, Now, StaleAfter);
        Assert.Equal(200, response.Status);
        Assert.DoesNotContain("conninfo", response.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("password", response.Body, StringComparison.OrdinalIgnoreCase);
        using JsonDocument body = JsonDocument.Parse(response.Body);
        JsonElement member = body.RootElement.GetProperty("members")[0];
        Assert.Equal("node1", member.GetProperty("name").GetString());
        Assert.Equal(5432, member.GetProperty("port").GetInt32());
        Assert.True(member.GetProperty("leader").GetBoolean());
    }
}
