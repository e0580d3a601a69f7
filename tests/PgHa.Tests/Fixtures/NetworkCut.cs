namespace PgHa.Tests.Fixtures;

/// <summary>
/// Cuts loopback addresses off with an nftables table of the test's own: every packet sent TO one of the
/// addresses is dropped. Since PgHa's monitors send from their node's own address, a node cut off this way
/// can neither be reached nor get an answer, as in a real partition. (Matched on the destination: libpq and
/// Npgsql cannot choose a source address.) Disposing deletes the table, which heals the cut.
/// </summary>
public sealed class NetworkCut : IAsyncDisposable
{
    private static int _counter;
    private readonly string _table;
    private bool _healed;

    private NetworkCut(string table) => _table = table;

    public static Task<NetworkCut> CutAsync(IEnumerable<string> addresses, CancellationToken cancellationToken = default) =>
        CutAsync(addresses, null, cancellationToken);

    /// <summary>
    /// Drops only what the processes of one cgroup v2 send to the addresses (<paramref name="fromCgroup"/>: its path as
    /// nftables' "socket cgroupv2 level 1" takes it, e.g. a NodeCgroup's NftPath); everyone else still reaches them.
    /// </summary>
    public static async Task<NetworkCut> CutAsync(IEnumerable<string> addresses, string? fromCgroup, CancellationToken cancellationToken = default)
    {
        var cut = new NetworkCut($"pgha_test_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}");
        try
        {
            await NftAsync(cancellationToken, "add", "table", "inet", cut._table);
            await NftAsync(cancellationToken, "add", "chain", "inet", cut._table, "out", "{ type filter hook output priority 0; policy accept; }");
            foreach (string address in addresses)
            {
                if (!address.StartsWith("127.", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Only loopback addresses are ever cut off, not {address}.", nameof(addresses));
                }
                string[] from = fromCgroup is null ? [] : ["socket", "cgroupv2", "level", "1", $"\"{fromCgroup}\""];
                await NftAsync(cancellationToken, ["add", "rule", "inet", cut._table, "out", .. from, "ip", "daddr", address, "drop"]);
            }
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

    private static async Task NftAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var result = await FixtureCommand.RunAsync("nft", arguments, cancellationToken, TimeSpan.FromSeconds(10));
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"nft {string.Join(' ', arguments)} failed: {result.Describe()}");
        }
    }
}
