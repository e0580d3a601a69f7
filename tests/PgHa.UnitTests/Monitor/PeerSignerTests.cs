using System.Text.Json.Nodes;
using PgHa.Core;
using PgHa.Operations.Monitor;
using Xunit;

namespace PgHa.UnitTests.Monitor;

/// <summary>
/// The signed peer protocol: what a monitor takes and what it refuses. Node 2 asks, node 3 answers; the clock
/// is fixed so that the time window is tested exactly.
/// </summary>
public sealed class PeerSignerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly ClusterSecret Secret = ClusterSecret.FromBytes(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly ClusterSecret OtherSecret = ClusterSecret.FromBytes(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    private static readonly PeerRequest Vote = new() { Op = PeerRequest.VoteOp, Term = 5, NodeId = 2, Lsn = "0/3000000" };

    private static PeerSigner Signer(ClusterSecret? secret, int self, TimeSpan? skew = null) =>
        new(secret, self, () => Now + (skew ?? TimeSpan.Zero));

    [Fact]
    public void ASignedRequestIsTakenWithItsSender()
    {
        var (line, _) = Signer(Secret, 2).Request(Vote, to: 3);

        PeerRequestCheck check = Signer(Secret, 3).CheckRequest(line);

        Assert.Null(check.Problem);
        Assert.Equal(Vote, check.Request);
        Assert.Equal(2, check.From);
        Assert.True(check.Signed);
    }

    [Fact]
    public void TheSecretIsNowhereInTheMessage()
    {
        var (line, _) = Signer(Secret, 2).Request(Vote, to: 3);

        Assert.DoesNotContain(Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()), line);
        Assert.DoesNotContain("1, 2, 3", Secret.ToString());
    }

    [Theory]
    [InlineData("term", "9223372036854775807")]
    [InlineData("nodeId", "4")]
    [InlineData("op", "\"pause\"")]
    public void ATamperedBodyIsRefused(string field, string value)
    {
        var (line, _) = Signer(Secret, 2).Request(Vote, to: 3);
        JsonObject envelope = JsonNode.Parse(line)!.AsObject();
        JsonObject body = JsonNode.Parse((string)envelope["body"]!)!.AsObject();
        body[field] = JsonNode.Parse(value);
        envelope["body"] = body.ToJsonString();

        PeerRequestCheck check = Signer(Secret, 3).CheckRequest(envelope.ToJsonString());

        Assert.Null(check.Request);
        Assert.Contains("signature", check.Problem);
    }

    [Theory]
    [InlineData("from", "5")]
    [InlineData("at", "1765022400001")]
    [InlineData("nonce", "\"AAAAAAAAAAAAAAAAAAAAAA==\"")]
    public void ATamperedEnvelopeIsRefused(string field, string value)
    {
        var (line, _) = Signer(Secret, 2).Request(Vote, to: 3);
        JsonObject envelope = JsonNode.Parse(line)!.AsObject();
        envelope[field] = JsonNode.Parse(value);

        Assert.Null(Signer(Secret, 3).CheckRequest(envelope.ToJsonString()).Request);
    }

    [Fact]
    public void AnotherSecretIsRefused()
    {
        var (line, _) = Signer(OtherSecret, 2).Request(Vote, to: 3);

        PeerRequestCheck check = Signer(Secret, 3).CheckRequest(line);

        Assert.Null(check.Request);
        Assert.Contains("signature", check.Problem);
    }

    [Fact]
    public void ARequestIsTakenOnceOnly()
    {
        var (line, _) = Signer(Secret, 2).Request(Vote, to: 3);
        PeerSigner server = Signer(Secret, 3);

        Assert.NotNull(server.CheckRequest(line).Request);
        PeerRequestCheck replayed = server.CheckRequest(line);

        Assert.Null(replayed.Request);
        Assert.Contains("replay", replayed.Problem);
    }

    [Fact]
    public void AStatusRequestMayBeAskedAgain()
    {
        var (line, _) = Signer(Secret, 2).Request(new PeerRequest { Op = PeerRequest.StatusOp }, to: 3);
        PeerSigner server = Signer(Secret, 3);

        Assert.NotNull(server.CheckRequest(line).Request);
        Assert.NotNull(server.CheckRequest(line).Request);
    }

    [Theory]
    [InlineData(-31, false)]
    [InlineData(-29, true)]
    [InlineData(29, true)]
    [InlineData(31, false)]
    public void ARequestOutsideTheTimeWindowIsRefused(int senderClockOffsetSeconds, bool taken)
    {
        var (line, _) = Signer(Secret, 2, TimeSpan.FromSeconds(senderClockOffsetSeconds)).Request(Vote, to: 3);

        PeerRequestCheck check = Signer(Secret, 3).CheckRequest(line);

        Assert.Equal(taken, check.Request is not null);
        if (!taken)
        {
            Assert.Contains("clock", check.Problem);
        }
    }

    [Fact]
    public void ARequestForAnotherNodeIsRefused()
    {
        var (line, _) = Signer(Secret, 2).Request(Vote, to: 4);

        PeerRequestCheck check = Signer(Secret, 3).CheckRequest(line);

        Assert.Null(check.Request);
        Assert.Contains("meant for node 4", check.Problem);
    }

    [Fact]
    public void AnUnsignedStatusIsTakenAndAnUnsignedVoteOrPauseIsNot()
    {
        PeerSigner withoutSecret = Signer(null, 0);
        PeerSigner server = Signer(Secret, 3);

        PeerRequestCheck status = server.CheckRequest(withoutSecret.Request(new PeerRequest { Op = PeerRequest.StatusOp }, 3).Line);
        PeerRequestCheck vote = server.CheckRequest(withoutSecret.Request(Vote, 3).Line);
        PeerRequestCheck pause = server.CheckRequest(withoutSecret.Request(new PeerRequest { Op = PeerRequest.PauseOp }, 3).Line);

        Assert.NotNull(status.Request);
        Assert.False(status.Signed);
        Assert.Null(vote.Request);
        Assert.Contains("unsigned 'vote'", vote.Problem);
        Assert.Null(pause.Request);
        Assert.Contains("unsigned 'pause'", pause.Problem);
    }

    [Fact]
    public void APlainRequestOfTheOldFormatIsRefused()
    {
        PeerRequestCheck check = Signer(Secret, 3).CheckRequest("""{"op":"announce","term":9223372036854775807,"nodeId":2}""");

        Assert.Null(check.Request);
        Assert.Null(check.Nonce);
    }

    [Fact]
    public void AReplyIsTakenFromTheNodeAskedForThisRequestOnly()
    {
        PeerSigner client = Signer(Secret, 2);
        PeerSigner server = Signer(Secret, 3);
        var (line, nonce) = client.Request(Vote, to: 3);
        PeerRequestCheck request = server.CheckRequest(line);
        string reply = server.Reply("""{"granted":true}""", request.Nonce!, request.From);

        Assert.Equal("""{"granted":true}""", client.CheckReply(reply, askedNodeId: 3, nonce).Body);
        Assert.Contains("not from node 4", client.CheckReply(reply, askedNodeId: 4, nonce).Problem);
        var (_, otherNonce) = client.Request(Vote, to: 3);
        Assert.Contains("does not answer this request", client.CheckReply(reply, askedNodeId: 3, otherNonce).Problem);
        Assert.Contains("not signed with the cluster secret", Signer(OtherSecret, 2).CheckReply(reply, askedNodeId: 3, nonce).Problem);
    }

    [Fact]
    public void ATamperedReplyIsRefused()
    {
        PeerSigner client = Signer(Secret, 2);
        var (line, nonce) = client.Request(Vote, to: 3);
        string reply = Signer(Secret, 3).Reply("""{"granted":false,"reason":"no","term":5}""", Signer(Secret, 3).CheckRequest(line).Nonce!, 2);
        JsonObject envelope = JsonNode.Parse(reply)!.AsObject();
        envelope["body"] = """{"granted":true,"reason":"no","term":5}""";

        Assert.Null(client.CheckReply(envelope.ToJsonString(), 3, nonce).Body);
    }

    [Fact]
    public void ARequestIsNotTakenForAReply()
    {
        PeerSigner client = Signer(Secret, 2);
        var (_, nonce) = client.Request(Vote, to: 3);
        // Node 3's own signed request, with a "re" someone added: still a request, and its MAC no longer matches.
        JsonObject forged = JsonNode.Parse(Signer(Secret, 3).Request(Vote, to: 2).Line)!.AsObject();
        forged["re"] = nonce;

        Assert.Null(client.CheckReply(forged.ToJsonString(), 3, nonce).Body);
    }

    [Fact]
    public void ACommandWithoutTheSecretTakesTheReplyUnchecked()
    {
        PeerSigner command = Signer(null, 0);
        PeerSigner server = Signer(Secret, 3);
        var (line, nonce) = command.Request(new PeerRequest { Op = PeerRequest.StatusOp }, to: 3);
        PeerRequestCheck request = server.CheckRequest(line);
        string reply = server.Reply("{}", request.Nonce!, request.From);

        Assert.Equal("{}", command.CheckReply(reply, 3, nonce).Body);
        Assert.NotNull(JsonNode.Parse(reply)!["mac"]);
    }

    [Fact]
    public void AFullReplayCacheRefusesRatherThanForgets()
    {
        var server = new PeerSigner(Secret, 3, () => Now, replayCapacity: 2);
        PeerSigner client = Signer(Secret, 2);

        Assert.NotNull(server.CheckRequest(client.Request(Vote, 3).Line).Request);
        Assert.NotNull(server.CheckRequest(client.Request(Vote, 3).Line).Request);
        PeerRequestCheck third = server.CheckRequest(client.Request(Vote, 3).Line);

        Assert.Null(third.Request);
        Assert.Contains("too many", third.Problem);
    }

    [Fact]
    public void TheReplayCacheForgetsANonceOnlyOnceItsMessageHasExpired()
    {
        var cache = new ReplayCache(capacity: 1);

        Assert.True(cache.TryAdd("a", expiresAtMs: 1000, nowMs: 0, out _));
        Assert.False(cache.TryAdd("a", expiresAtMs: 1000, nowMs: 999, out _));
        Assert.False(cache.TryAdd("b", expiresAtMs: 2000, nowMs: 999, out bool full));
        Assert.True(full);
        Assert.True(cache.TryAdd("b", expiresAtMs: 2000, nowMs: 1000, out _));
        Assert.Equal(1, cache.Count);
    }
}
