using System.Text.Json;
using PgHa.Core;
using PgHa.Etcd;
using Xunit;

namespace PgHa.UnitTests.Etcd;

/// <summary>The gateway's JSON, as etcd 3.4 wrote it (answers copied from curl against etcd-server 3.4.23).</summary>
public sealed class EtcdJsonTests
{
    [Fact]
    public void AnAbsentKeyIsTakenByATxnThatComparesItsCreateRevisionWithZero()
    {
        string json = EtcdJson.Txn(
            [EtcdJson.CompareAbsent("/p/leader")],
            [EtcdJson.RequestPut(EtcdJson.Put("/p/leader", "v", 8069221609283987461))],
            [EtcdJson.RequestRange(EtcdJson.Range("/p/leader"))]).ToJsonString();
        Assert.Equal(
            "{\"compare\":[{\"key\":\"L3AvbGVhZGVy\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
            + "\"success\":[{\"request_put\":{\"key\":\"L3AvbGVhZGVy\",\"value\":\"dg==\",\"lease\":\"8069221609283987461\"}}],"
            + "\"failure\":[{\"request_range\":{\"key\":\"L3AvbGVhZGVy\"}}]}",
            json);
    }

    [Fact]
    public void APutWithoutALeaseLeavesTheLeaseOut()
    {
        Assert.Equal("{\"key\":\"L3AvY29uZmln\",\"value\":\"e30=\"}", EtcdJson.Put("/p/config", "{}", 0).ToJsonString());
    }

    [Theory]
    [InlineData("/p/", "L3Av", "L3Aw")] // '/' + 1 is '0'
    [InlineData("a", "YQ==", "Yg==")]
    public void APrefixRangeEndsAtThePrefixWithItsLastByteIncremented(string prefix, string key, string end)
    {
        string json = EtcdJson.RangePrefix(prefix).ToJsonString();
        Assert.Equal($"{{\"key\":\"{key}\",\"range_end\":\"{end}\"}}", json);
    }

    [Fact]
    public void AFailedTxnHasNoSucceededFieldAndItsRangeIsRead()
    {
        using JsonDocument answer = JsonDocument.Parse(
            "{\"header\":{\"cluster_id\":\"16636474765827238556\",\"member_id\":\"7509762931874131963\",\"revision\":\"2\",\"raft_term\":\"2\"},"
            + "\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"2\"},\"kvs\":[{\"key\":\"L3AvbGVhZGVy\",\"create_revision\":\"2\","
            + "\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"bjE=\",\"lease\":\"8069221609283987461\"}],\"count\":\"1\"}}]}");
        (bool succeeded, IReadOnlyList<JsonElement> ranges) = EtcdJson.TxnResult(answer.RootElement);
        Assert.False(succeeded);
        EtcdKeyValue kv = Assert.Single(EtcdJson.KeyValues(Assert.Single(ranges)));
        Assert.Equal(new EtcdKeyValue("/p/leader", "n1", 2, 2, 1, 8069221609283987461), kv);
        Assert.Equal(2, EtcdJson.Revision(answer.RootElement));
    }

    [Fact]
    public void ASucceededTxnSaysSo()
    {
        using JsonDocument answer = JsonDocument.Parse(
            "{\"header\":{\"revision\":\"2\"},\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"2\"}}}]}");
        (bool succeeded, IReadOnlyList<JsonElement> ranges) = EtcdJson.TxnResult(answer.RootElement);
        Assert.True(succeeded);
        Assert.Empty(ranges);
    }

    [Fact]
    public void ARangeThatFoundNothingHasNoKvs()
    {
        using JsonDocument answer = JsonDocument.Parse("{\"header\":{\"revision\":\"1\"}}");
        Assert.Empty(EtcdJson.KeyValues(answer.RootElement));
    }

    [Fact]
    public void AKeepaliveOfAnEndedLeaseHasNoTtl()
    {
        using JsonDocument alive = JsonDocument.Parse("{\"result\":{\"header\":{\"revision\":\"2\"},\"ID\":\"8069221609283987466\",\"TTL\":\"5\"}}");
        using JsonDocument ended = JsonDocument.Parse("{\"result\":{\"header\":{\"revision\":\"2\"},\"ID\":\"123\"}}");
        Assert.Equal(5, EtcdJson.KeepAliveTtl(alive.RootElement));
        Assert.Equal(0, EtcdJson.KeepAliveTtl(ended.RootElement));
    }

    [Theory]
    [InlineData("{\"error\":\"etcdserver: requested lease not found\",\"message\":\"etcdserver: requested lease not found\",\"code\":5}", 5, "etcdserver: requested lease not found")]
    [InlineData("{\"error\":\"etcdserver: invalid auth token\",\"message\":\"etcdserver: invalid auth token\",\"code\":16}", 16, "etcdserver: invalid auth token")]
    [InlineData("{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}", 14, "etcdserver: no leader")]
    public void ErrorsOfUnaryAndStreamedCallsReadAlike(string json, int code, string message)
    {
        using JsonDocument answer = JsonDocument.Parse(json);
        Assert.Equal(new EtcdStatus(code, message), EtcdJson.Error(answer.RootElement));
    }

    [Fact]
    public void AnAnswerWithoutErrorIsNoError()
    {
        using JsonDocument answer = JsonDocument.Parse("{\"header\":{\"revision\":\"1\"}}");
        Assert.Null(EtcdJson.Error(answer.RootElement));
    }

    [Theory]
    [InlineData(5, "", false)]
    [InlineData(3, "etcdserver: authentication failed, invalid user ID or password", false)]
    [InlineData(14, "etcdserver: no leader", true)]
    [InlineData(14, "etcdserver: request timed out", true)]
    [InlineData(4, "context deadline exceeded", true)]
    [InlineData(7, "etcdserver: permission denied", false)]
    public void OnlyErrorsOfTheMemberOrTheQuorumAreTriedElsewhere(int code, string message, bool transient)
    {
        Assert.Equal(transient, new EtcdStatus(code, message).IsTransient);
    }

    [Fact]
    public void TheLeaderValueNamesNodeAndClusterAndForeignValuesAreStale()
    {
        string value = EtcdJson.LeaderValue("node1", "c-1");
        Assert.Equal("{\"node\":\"node1\",\"cluster\":\"c-1\"}", value);
        Assert.Equal(("node1", "c-1"), EtcdJson.ParseLeaderValue(value));
        // Patroni writes the bare member name; a hand-written key may be anything.
        Assert.Equal(("pg1", ""), EtcdJson.ParseLeaderValue("pg1"));
        Assert.Equal(("{\"node\":1}", ""), EtcdJson.ParseLeaderValue("{\"node\":1}"));
        Assert.True(new EtcdLeaderRecord("pg1", "", 0, 1, null).IsStaleFor("c-1"));
    }

    [Fact]
    public void TheMonitorsLeaderValueNamesItsTerm()
    {
        string value = EtcdJson.LeaderValue("node2", "c-1", 7);
        Assert.Equal("{\"node\":\"node2\",\"cluster\":\"c-1\",\"term\":7}", value);
        Assert.Equal(("node2", "c-1"), EtcdJson.ParseLeaderValue(value));
        Assert.Equal(7, EtcdJson.ParseLeaderTerm(value));
        Assert.Null(EtcdJson.ParseLeaderTerm(EtcdJson.LeaderValue("node2", "c-1")));
        Assert.Null(EtcdJson.ParseLeaderTerm("pg1"));
        Assert.Null(EtcdJson.ParseLeaderTerm("{\"term\":\"7\"}"));
    }

    [Fact]
    public void SettingsNeverShowThePassword()
    {
        var settings = new EtcdClientSettings(EtcdClientSettings.ParseEndpoints("127.0.0.1:2379, https://10.0.0.2:2379"))
        {
            UserName = "pgha",
            Password = "hunter2",
        };
        Assert.Equal(["http://127.0.0.1:2379/", "https://10.0.0.2:2379/"], settings.Endpoints.Select(e => e.ToString()));
        Assert.DoesNotContain("hunter2", settings.ToString());
        Assert.Contains("password set", settings.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("ftp://h:1")]
    [InlineData("http://h:2379/v3")]
    public void UnusableEndpointsAreRefusedWithWhatToGive(string endpoints)
    {
        var error = Assert.Throws<PgHa.Core.PgHaException>(() => new EtcdClientSettings(EtcdClientSettings.ParseEndpoints(endpoints)));
        Assert.Equal(PgHaErrorIds.EtcdInvalidSettings, error.ErrorId);
        Assert.Contains("http", error.Message);
    }
}
