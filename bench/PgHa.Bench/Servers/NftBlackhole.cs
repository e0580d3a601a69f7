using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Servers;

/// <summary>
/// Drops every outgoing TCP packet to one address:port with an nftables table of the benchmark's own,
/// so connects to that node hang until the connect timeout, as with a host that vanished from the
/// network (a stopped server answers with a reset instead, which costs nothing). Matched on the
/// destination because Npgsql cannot choose a source address. Disposing deletes the table.
/// </summary>
public sealed class NftBlackhole : IAsyncDisposable
{
    public const string TableName = "pgha_bench";

    private bool _deleted;

    private NftBlackhole()
    {
    }

    public static async Task<NftBlackhole> DropAsync(string address, int port, CancellationToken cancellationToken)
    {
        // A run killed hard (SIGKILL) may have left the table behind; start clean.
        await DeleteTableAsync(ignoreMissing: true);
        var blackhole = new NftBlackhole();
        try
        {
            await NftAsync(cancellationToken, "add", "table", "inet", TableName);
            await NftAsync(cancellationToken, "add", "chain", "inet", TableName, "out", "{ type filter hook output priority 0; policy accept; }");
            await NftAsync(cancellationToken, "add", "rule", "inet", TableName, "out", "ip", "daddr", address, "tcp", "dport", port.ToString(), "drop");
            return blackhole;
        }
        catch
        {
            await blackhole.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_deleted)
        {
            return;
        }
        _deleted = true;
        await DeleteTableAsync(ignoreMissing: false);
    }

    private static async Task DeleteTableAsync(bool ignoreMissing)
    {
        // Not cancellable: this is the cleanup that must run after Ctrl+C.
        var result = await FixtureCommand.RunAsync("nft", ["delete", "table", "inet", TableName], CancellationToken.None, TimeSpan.FromSeconds(10));
        if (!result.Succeeded && !ignoreMissing)
        {
            throw new InvalidOperationException($"Could not delete the nftables table inet {TableName}; delete it by hand (nft delete table inet {TableName}): {result.Describe()}");
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
