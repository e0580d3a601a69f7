using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Failover;

/// <summary>
/// The messages that steered the monitors in the fault runs of issue 9, sent to real monitor processes from a
/// member's own address and from elsewhere: an unsigned pause to the primary's monitor, an announce of term
/// 2^63-1 (unsigned, signed with another secret, and signed with the cluster's own secret as a member gone
/// wrong), a replayed signed request and an oversized one. None may change anything: afterwards every monitor
/// still runs, unpaused, in term 1 under node1. The wire format is written here from its description
/// (about_PgHa), independently of the module's own code.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class ForgedMessagesTests(ITestOutputHelper output) : MonitoredClusterTest(output, "forged", new ClusterShape { Standbys = 1 })
{
    [Fact]
    public async Task ForgedReplayedAndOversizedMessages_ChangeNothing()
    {
        ClusterMember primary = Cluster["node1"];
        var target = new IPEndPoint(IPAddress.Parse(primary.Server.Address), primary.MonitorPort);
        IPAddress member = IPAddress.Parse(Cluster["node2"].Server.Address);
        byte[] secret = Convert.FromBase64String(File.ReadAllText(Cluster.SecretFile).Trim());
        byte[] wrong = RandomNumberGenerator.GetBytes(48);

        // The old wire format, and an unsigned envelope: refused from loopback and from a member's address alike.
        foreach (IPAddress from in new[] { IPAddress.Loopback, member })
        {
            Assert.DoesNotContain("\"ok\":true", await SendAsync(from, target, """{"op":"pause"}"""));
            Assert.Contains("unsigned", Error(await SendAsync(from, target, Envelope(null, 0, 1, """{"op":"pause"}"""))));
        }
        string maxTerm = $$"""{"op":"announce","term":{{long.MaxValue}},"nodeId":2}""";
        Assert.Contains("signature", Error(await SendAsync(member, target, Envelope(wrong, 2, 1, maxTerm))));
        // Signed with the cluster's secret, from node2's address, about node2: only the term check is left to refuse it.
        Assert.Contains("beyond the highest term", Error(await SendAsync(member, target, Envelope(secret, 2, 1, maxTerm))));
        // Far ahead, though in range: refused too (the primary knows term 1; 32 terms ahead is the most it takes).
        Assert.Contains("ahead of term", Error(await SendAsync(member, target, Envelope(secret, 2, 1, """{"op":"announce","term":100,"nodeId":2}"""))));

        // A signed vote taken once (and refused on its merits: node1 sees itself as primary), then its replay refused as such.
        string vote = Envelope(secret, 2, 1, """{"op":"vote","term":2,"nodeId":2,"lsn":"0/0"}""");
        JsonNode first = Body(await SendAsync(member, target, vote));
        Assert.False((bool)first["granted"]!);
        Assert.DoesNotContain("replay", (string?)first["reason"]);
        Assert.Contains("replay", Error(await SendAsync(member, target, vote)));

        // Larger than 64 KiB: no answer at all.
        Assert.Equal(string.Empty, await SendAsync(member, target, new string('x', 70 * 1024)));

        var monitors = Cluster.MonitorLines(primary.Conninfo);
        Assert.True(monitors.Count == 2 && monitors.All(l => l.EndsWith(" True 1 node1 False", StringComparison.Ordinal)),
            string.Join("\n", monitors) + "\n" + Cluster.DescribeMonitors());
        Assert.Equal(true, (await Cluster.WritableAsync())["node1"]);
        Assert.Contains("Refused", File.ReadAllText(Cluster.MonitorOf("node1").LogFile), StringComparison.Ordinal);
    }

    /// <summary>A request as about_PgHa describes it: HMAC-SHA256 over the label, kind, sender, recipient, time, nonce, answered nonce and body, one per line.</summary>
    private static string Envelope(byte[]? secret, int from, int to, string body)
    {
        long at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var envelope = new JsonObject { ["kind"] = "request", ["body"] = body, ["from"] = from, ["to"] = to, ["at"] = at, ["nonce"] = nonce };
        if (secret is not null)
        {
            string signed = string.Join('\n', "pgha-peer-1", "request", from.ToString(CultureInfo.InvariantCulture), to.ToString(CultureInfo.InvariantCulture),
                at.ToString(CultureInfo.InvariantCulture), nonce, string.Empty, body);
            envelope["mac"] = Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(signed)));
        }
        return envelope.ToJsonString();
    }

    private static JsonNode Body(string reply) => JsonNode.Parse((string)JsonNode.Parse(reply)!["body"]!)!;

    private static string Error(string reply)
    {
        JsonNode? node = JsonNode.Parse(reply);
        JsonNode body = node?["body"] is JsonValue inner ? JsonNode.Parse((string)inner!)! : node!;
        return (string?)body["error"] ?? (string?)body["reason"] ?? reply;
    }

    /// <summary>One line from <paramref name="from"/>, the reply line (empty when the monitor closed without one).</summary>
    private static async Task<string> SendAsync(IPAddress from, IPEndPoint target, string line)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from, 0));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(target, deadline.Token);
        var reply = new MemoryStream();
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(line + "\n"), SocketFlags.None, deadline.Token);
            var buffer = new byte[4096];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
            {
                reply.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // closed by the monitor while sending or reading: no reply
        }
        return Encoding.UTF8.GetString(reply.ToArray()).Trim();
    }
}
