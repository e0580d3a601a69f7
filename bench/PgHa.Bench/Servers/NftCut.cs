using System.Diagnostics;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Servers;

/// <summary>
/// Cuts one loopback address off (every packet sent to it dropped, as the fixtures' NetworkCut does) with an
/// nftables table of the benchmark's own, timed to a few milliseconds: one `nft -i` process is started
/// beforehand and the rule is added and flushed through its stdin, so neither edge of the cut waits for an
/// nft process to start (0.1-0.7 s each on this loaded machine, which turned a 1.5 s blip into 2.2 s). Each
/// change is followed by a listing of the chain, read back and checked, so a call returns once the change
/// is in force. Disposing deletes the table; a table left by a killed run is deleted before a new one is made.
/// </summary>
public sealed class NftCut : IAsyncDisposable
{
    public const string TableName = "pgha_bench_cut";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _nft;
    private bool _disposed;

    private NftCut(Process nft) => _nft = nft;

    /// <summary>Starts nft and makes the table and its output chain, with no rule yet: nothing is cut.</summary>
    public static async Task<NftCut> PrepareAsync(CancellationToken cancellationToken)
    {
        await FixtureCommand.RunAsync("nft", ["delete", "table", "inet", TableName], CancellationToken.None, CommandTimeout);
        var start = new ProcessStartInfo("nft", ["-i"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var cut = new NftCut(Process.Start(start) ?? throw new InvalidOperationException("nft -i did not start"));
        try
        {
            await cut.RunAsync($"add table inet {TableName}\nadd chain inet {TableName} out {{ type filter hook output priority 0; policy accept; }}", cancellationToken);
            return cut;
        }
        catch
        {
            await cut.DisposeAsync();
            throw;
        }
    }

    /// <summary>Drops every packet to <paramref name="address"/> from the moment this returns.</summary>
    public async Task CutAsync(string address, CancellationToken cancellationToken)
    {
        if (!address.StartsWith("127.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Only loopback addresses are ever cut off, not {address}.", nameof(address));
        }
        string listing = await RunAsync($"add rule inet {TableName} out ip daddr {address} drop", cancellationToken);
        if (!listing.Contains($"ip daddr {address} drop", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"nft did not add the drop rule for {address}:\n{listing}");
        }
    }

    /// <summary>Removes the rule: traffic flows again from the moment this returns.</summary>
    public async Task HealAsync(CancellationToken cancellationToken)
    {
        string listing = await RunAsync($"flush chain inet {TableName} out", cancellationToken);
        if (listing.Contains(" drop", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"nft did not remove the drop rule:\n{listing}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        // Not cancellable: this is the cleanup that must run after Ctrl+C.
        try
        {
            if (!_nft.HasExited)
            {
                await _nft.StandardInput.WriteLineAsync($"delete table inet {TableName}");
                _nft.StandardInput.Close();
                using var deadline = new CancellationTokenSource(CommandTimeout);
                await _nft.WaitForExitAsync(deadline.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            _nft.Kill();
        }
        finally
        {
            _nft.Dispose();
        }
        var check = await FixtureCommand.RunAsync("nft", ["list", "table", "inet", TableName], CancellationToken.None, CommandTimeout);
        if (check.Succeeded)
        {
            var delete = await FixtureCommand.RunAsync("nft", ["delete", "table", "inet", TableName], CancellationToken.None, CommandTimeout);
            if (!delete.Succeeded)
            {
                throw new InvalidOperationException($"Could not delete the nftables table inet {TableName}; delete it by hand (nft delete table inet {TableName}): {delete.Describe()}");
            }
        }
    }

    /// <summary>Sends the commands, then a listing of the chain, and returns the listing: nft runs them in order, so they are in force once it arrives.</summary>
    private async Task<string> RunAsync(string commands, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(CommandTimeout);
        await _nft.StandardInput.WriteLineAsync($"{commands}\nlist chain inet {TableName} out".AsMemory(), deadline.Token);
        await _nft.StandardInput.FlushAsync(deadline.Token);
        var listing = new System.Text.StringBuilder();
        while (true)
        {
            string line = await _nft.StandardOutput.ReadLineAsync(deadline.Token)
                ?? throw new InvalidOperationException($"nft -i ended: {await _nft.StandardError.ReadToEndAsync(CancellationToken.None)}");
            listing.AppendLine(line);
            if (line == "}")
            {
                return listing.ToString();
            }
        }
    }
}
