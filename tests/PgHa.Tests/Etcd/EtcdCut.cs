using PgHa.Tests.Faults;
using PgHa.Tests.Fixtures;

namespace PgHa.Tests.Etcd;

/// <summary>
/// Cuts the processes of one cgroup (a node's monitor) off from etcd's members, and nothing else: an nftables
/// table of the test's own drops what they send to the members' addresses (matched on the sending process's
/// socket cgroupv2, so the other monitors and the test still reach etcd). Disposing deletes the table.
/// </summary>
public sealed class EtcdCut : IAsyncDisposable
{
    private static int _counter;
    private readonly string _table;
    private bool _healed;

    private EtcdCut(string table) => _table = table;

    internal static async Task<EtcdCut> CutAsync(NodeCgroup cgroup, IEnumerable<EtcdClusterMember> members)
    {
        var cut = new EtcdCut($"pgha_etcdcut_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}");
        try
        {
            await NftAsync("add", "table", "inet", cut._table);
            await NftAsync("add", "chain", "inet", cut._table, "out", "{ type filter hook output priority 0; policy accept; }");
            string addresses = "{ " + string.Join(", ", members.Select(m => m.Address)) + " }";
            await NftAsync("add", "rule", "inet", cut._table, "out", "socket", "cgroupv2", "level", "1", $"\"{cgroup.NftPath}\"", "ip", "daddr", addresses, "drop");
            return cut;
        }
        catch
        {
            await cut.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_healed)
        {
            return;
        }
        _healed = true;
        var result = await FixtureCommand.RunAsync("nft", ["delete", "table", "inet", _table], CancellationToken.None, TimeSpan.FromSeconds(10));
        if (!result.Succeeded && !result.StandardError.Contains("No such file", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Could not delete the nftables table inet {_table}; delete it by hand: {result.Describe()}");
        }
    }

    private static async Task NftAsync(params string[] arguments)
    {
        var result = await FixtureCommand.RunAsync("nft", arguments, CancellationToken.None, TimeSpan.FromSeconds(10));
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"nft {string.Join(' ', arguments)} failed: {result.Describe()}");
        }
    }
}
