using System.Diagnostics;
using PgHa.Tests.Failover;
using PgHa.Tests.Fixtures;

namespace PgHa.Tests.Faults;

/// <summary>One write the cluster acknowledged: its id, the node that acknowledged it, when (seconds on the fault clock).</summary>
public sealed record AckedWrite(long Id, string Node, double At);

/// <summary>
/// A client that writes without pause and remembers every write it saw acknowledged: INSERT ... RETURNING on
/// one session to the node it believes is the primary, through that node's Unix socket (so a node cut off from
/// its peers keeps its clients, as an application server beside it would). Like a libpq client without a
/// statement timeout it waits as long as the server makes it (30 s at most): a frozen primary keeps it hanging,
/// and a write it acknowledges after the thaw counts. When the session fails it looks for a node that takes the
/// write, in the order of the nodes, and stays there while it works.
/// </summary>
public sealed class AckedWriter : IAsyncDisposable
{
    public const string Table = "fault_acked";
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FindTimeout = TimeSpan.FromSeconds(2);

    private readonly List<AckedWrite> _acked = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private AckedWriter(IReadOnlyList<ClusterMember> nodes, Stopwatch clock) => _running = Task.Run(() => RunAsync(nodes, clock, _stop.Token));

    public static string CreateTableSql => $"CREATE TABLE {Table} (id bigint PRIMARY KEY, node text NOT NULL)";

    public static AckedWriter Start(IReadOnlyList<ClusterMember> nodes, Stopwatch clock) => new(nodes, clock);

    public IReadOnlyList<AckedWrite> Acked
    {
        get
        {
            lock (_acked)
            {
                return _acked.ToList();
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_acked)
            {
                return _acked.Count;
            }
        }
    }

    public async Task StopAsync()
    {
        _stop.Cancel();
        await _running;
    }

    private async Task RunAsync(IReadOnlyList<ClusterMember> nodes, Stopwatch clock, CancellationToken ct)
    {
        var sessions = nodes.ToDictionary(n => n.Name, n => WireSession.OverSocket(n.Server.SocketDirectory, n.Server.Port, "pgha"));
        string? target = nodes[0].Name;
        long id = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (target is not null && await TryWriteAsync(sessions[target], target, ++id, WriteTimeout, clock, ct))
                {
                    await Task.Delay(10, ct);
                    continue;
                }
                target = null;
                foreach (ClusterMember node in nodes)
                {
                    if (await TryWriteAsync(sessions[node.Name], node.Name, ++id, FindTimeout, clock, ct))
                    {
                        target = node.Name;
                        break;
                    }
                }
                await Task.Delay(target is null ? 50 : 10, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (WireSession session in sessions.Values)
            {
                await session.DisposeAsync();
            }
        }
    }

    private async Task<bool> TryWriteAsync(WireSession session, string node, long id, TimeSpan timeout, Stopwatch clock, CancellationToken ct)
    {
        try
        {
            await session.QueryScalarAsync($"INSERT INTO {Table} (id, node) VALUES ({id}, '{node}') RETURNING id", timeout, ct);
        }
        catch (WireException)
        {
            return false;
        }
        lock (_acked)
        {
            _acked.Add(new AckedWrite(id, node, clock.Elapsed.TotalSeconds));
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }
}
