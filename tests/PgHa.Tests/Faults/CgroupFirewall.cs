using PgHa.Tests.Fixtures;

namespace PgHa.Tests.Faults;

/// <summary>
/// Cuts one node off from its peers by process, not by address (every loopback client connects from
/// 127.0.0.1, so an address rule would also cut the node's own clients off): an nftables table of the test's
/// own, matched on the sending process's <see cref="NodeCgroup"/>.
/// <para>
/// A drop by destination address alone leaks: connections a peer opened to the node (a standby's WAL receiver,
/// a monitor's metadata read) come from 127.0.0.1, and the node's answers on them (WAL keeps flowing to the
/// standby) go to 127.0.0.1 too. So every connection a node's cgroup opens is marked in conntrack with the
/// node's <see cref="NodeCgroup.Mark"/> (chain "marking", before the drops), and the cut also drops what the
/// node sends on a connection a peer opened, and what a peer sends on a connection the node opened. Verified
/// here: a listener's SYN-ACK is not matched by socket cgroupv2 (the handshake completes), its data is.
/// </para>
/// <para>
/// Given the addresses of a shared service the nodes reach (etcd's members, which run in the test's cgroup), a
/// cut isolates the node from it too: a node cut off from its peers but not from etcd would keep its leader key,
/// and the scenario would no longer be "the node is isolated". The node opens every connection to etcd, so the
/// cut drops what the node sends to those addresses, and what they send on a connection the node opened.
/// </para>
/// Clients in the test's cgroup (watchers, writers, cmdlets) keep reaching every node. Disposing deletes the table.
/// </summary>
public sealed class CgroupFirewall : IAsyncDisposable
{
    private static int _counter;
    private readonly string _table;
    private readonly Dictionary<string, (NodeCgroup Cgroup, string Address)> _nodes;
    private readonly IReadOnlyList<string> _shared;
    private bool _deleted;

    private CgroupFirewall(string table, Dictionary<string, (NodeCgroup, string)> nodes, IReadOnlyList<string> shared)
    {
        _table = table;
        _nodes = nodes;
        _shared = shared;
    }

    /// <summary>
    /// Installs the marking of new connections by the nodes' cgroups (the cgroups must exist: nft resolves them now).
    /// <paramref name="shared"/>: the addresses of a service every node reaches (etcd's members), cut too by a cut.
    /// </summary>
    public static async Task<CgroupFirewall> CreateAsync(IEnumerable<(NodeCgroup Cgroup, string Address)> nodes, IReadOnlyList<string>? shared = null)
    {
        var firewall = new CgroupFirewall($"pgha_faults_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}",
            nodes.ToDictionary(n => n.Cgroup.Node, n => (n.Cgroup, n.Address)), shared ?? []);
        try
        {
            await NftAsync("add", "table", "inet", firewall._table);
            await NftAsync("add", "chain", "inet", firewall._table, "marking", "{ type filter hook output priority -10; policy accept; }");
            await NftAsync("add", "chain", "inet", firewall._table, "cutting", "{ type filter hook output priority 0; policy accept; }");
            foreach (var (cgroup, _) in firewall._nodes.Values)
            {
                await NftAsync("add", "rule", "inet", firewall._table, "marking", "ct", "state", "new", "socket", "cgroupv2", "level", "1", Quoted(cgroup.NftPath), "ct", "mark", "set", Mark(cgroup));
            }
            return firewall;
        }
        catch
        {
            await firewall.DisposeAsync();
            throw;
        }
    }

    /// <summary>Cuts the node off from every other node (and from the shared service, etcd), both ways; its own clients still reach it.</summary>
    public async Task CutOffAsync(string node)
    {
        var (cgroup, address) = _nodes[node];
        var peers = _nodes.Where(n => n.Key != node).Select(n => n.Value).ToList();
        string peerAddresses = "{ " + string.Join(", ", peers.Select(p => p.Address)) + " }";
        string peerMarks = "{ " + string.Join(", ", peers.Select(p => Mark(p.Cgroup))) + " }";
        await CutRuleAsync(cgroup, "ip", "daddr", peerAddresses);
        await CutRuleAsync(cgroup, "ct", "mark", peerMarks);
        foreach (var (peer, _) in peers)
        {
            await CutRuleAsync(peer, "ip", "daddr", address);
            await CutRuleAsync(peer, "ct", "mark", Mark(cgroup));
        }
        if (_shared.Count > 0)
        {
            string shared = "{ " + string.Join(", ", _shared) + " }";
            await CutRuleAsync(cgroup, "ip", "daddr", shared);
            // The service's answers on the node's connections (its processes are in no node's cgroup: matched by the mark).
            await NftAsync("add", "rule", "inet", _table, "cutting", "ip", "saddr", shared, "ct", "mark", Mark(cgroup), "drop");
        }
    }

    /// <summary>Ends every cut (the connection marking stays).</summary>
    public Task HealAsync() => NftAsync("flush", "chain", "inet", _table, "cutting");

    private Task CutRuleAsync(NodeCgroup from, params string[] match) =>
        NftAsync(new[] { "add", "rule", "inet", _table, "cutting", "socket", "cgroupv2", "level", "1", Quoted(from.NftPath) }.Concat(match).Append("drop").ToArray());

    private static string Quoted(string path) => $"\"{path}\"";

    private static string Mark(NodeCgroup cgroup) => cgroup.Mark.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (_deleted)
        {
            return;
        }
        _deleted = true;
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
