using Xunit;
using Xunit.Abstractions;

namespace PgHa.Tests.Faults;

/// <summary>
/// An event hook that hangs (every event runs "sleep 25"): the primary is killed, a standby is promoted (its
/// failover_promote hook starts sleeping), and the new primary is cut off right after its promotion. It must
/// fence before the last node elects again, whatever its hook is doing. With etcd the cut isolates the new
/// primary from etcd too (<see cref="CgroupFirewall"/>): cut off from its peers alone it would keep its leader key
/// and the last node could never take it, which is not this scenario; cut off from etcd, its key's lease ends
/// unrenewed, its own lease timer fences it first, and the last node takes the key.
/// </summary>
[Collection(Failover.FailoverCollection.Name)]
public sealed class HookFaultTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(PgHaConsensusBackend.BuiltIn)]
    [InlineData(PgHaConsensusBackend.Etcd)]
    [Trait("Speed", "Slow")]
    public async Task HangingHookThenNewPrimaryCutOff(PgHaConsensusBackend backend)
    {
        await using var f = await FaultCluster.StartAsync(output, "f-hook", FaultClusterOptions.For(backend) with
        {
            MonitorSettings = new Dictionary<string, string> { ["EventCommand"] = "sleep 25" },
        });
        f.FaultBegins();
        await f["node1"].Server.KillAsync();
        string? promoted = await f.WaitForNewPrimaryAsync("node1", TimeSpan.FromSeconds(30));
        f.Log(promoted is null ? "No standby was promoted within 30 s." : $"{promoted} takes writes"); // FinishAsync measures and fails what follows
        if (promoted is null)
        {
            f.FaultHealed();
            f.AssertHolds(await f.FinishAsync(nameof(HangingHookThenNewPrimaryCutOff)));
            return;
        }
        await f.Firewall.CutOffAsync(promoted);
        f.Log($"{promoted} promoted and cut off");
        string? next = null;
        await Fixtures.Polling.UntilAsync(async () =>
        {
            next = (await f.Cluster.WritableAsync()).Where(w => w.Key != promoted && w.Value == true).Select(w => w.Key).FirstOrDefault();
            return next is not null;
        }, TimeSpan.FromSeconds(60));
        f.Log($"then promoted: {next ?? "none within 60 s"}");
        await Task.Delay(TimeSpan.FromSeconds(3)); // 3 s more of the cut: an unfenced primary takes its clients' writes beside the new one
        await f.Firewall.HealAsync();
        f.FaultHealed();
        f.AssertHolds(await f.FinishAsync(nameof(HangingHookThenNewPrimaryCutOff)));
    }
}
