using PgHa.Conninfo;
using PgHa.Metadata;
using PgHa.Operations.Roles;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Pauses the monitors for a planned role change and resumes them afterwards, as repmgr pauses repmgrd
/// during a switchover: the old primary's short stop would otherwise look like a failure to them, and they
/// would elect a primary of their own in the middle of the handover. Does nothing when no monitor answers,
/// and leaves a pause the DBA set alone.
/// </summary>
internal sealed class MonitorHold : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(1);

    private readonly OperationContext? _context;
    private readonly IReadOnlyList<ConnectionInfo> _entryPoints;

    private MonitorHold(OperationContext? context, IReadOnlyList<ConnectionInfo> entryPoints)
    {
        _context = context;
        _entryPoints = entryPoints;
    }

    public static async Task<MonitorHold> TakeAsync(OperationContext context, IReadOnlyList<NodeRecord> nodes, ConnectionInfo primary)
    {
        IReadOnlyList<ConnectionInfo> entryPoints = nodes.Where(n => n.Active).Select(NodeRecordLookup.ConninfoOf).ToList();
        ClusterStateRecord? state;
        await using (var connection = await NodeConnector.OpenAsync(context, primary, NodeConnector.MetadataDatabaseOf(primary)).ConfigureAwait(false))
        {
            state = await new MetadataStore(connection).GetClusterStateAsync(context.CancellationToken).ConfigureAwait(false);
        }
        if (state is null or { Paused: true })
        {
            return new MonitorHold(null, entryPoints);
        }
        IReadOnlyList<PgHaMonitorStatus> running = (await MonitorStatusReader.ReadAsync(context, nodes, StatusTimeout).ConfigureAwait(false)).Where(s => s.Running).ToList();
        if (running.Count == 0)
        {
            return new MonitorHold(null, entryPoints);
        }
        context.Reporter.Verbose($"Pausing the {running.Count} running monitor(s) for the role change.");
        await MonitorPause.SetAsync(context, nodes, paused: true, Wait).ConfigureAwait(false);
        return new MonitorHold(context, entryPoints);
    }

    /// <summary>Resumes the monitors, reading the nodes again: the primary the pause must be lifted on may be a new one.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_context is null)
        {
            return;
        }
        var resume = new OperationContext(_context.Reporter, _context.Credential, _context.ConnectTimeoutSeconds, CancellationToken.None) { Ssh = _context.Ssh };
        try
        {
            await MonitorPause.SetAsync(resume, _entryPoints, paused: false, Wait).ConfigureAwait(false);
            _context.Reporter.Verbose("Resumed the monitors.");
        }
        catch (PgHaException ex)
        {
            _context.Reporter.Warning($"The monitors could not be resumed after the role change ({ex.Message}); they stay paused: run Resume-PgHaMonitor.");
        }
    }
}
