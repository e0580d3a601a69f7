using PgHa.Conninfo;
using PgHa.Core;
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

    /// <summary>The node that is primary once the role change is done; the pause is lifted in its metadata. Until set, the old primary.</summary>
    public ConnectionInfo? PrimaryAfter { get; set; }

    private bool _keep;

    /// <summary>Leaves the monitors paused at the end: the role change ended in a state an operator must look at first.</summary>
    public void KeepPaused() => _keep = true;

    /// <summary>Resumes the monitors, reading the nodes again from the primary as it is now.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_context is null)
        {
            return;
        }
        if (_keep)
        {
            _context.Reporter.Warning("The monitors stay paused: look at the cluster (Get-PgHaCluster) and run Resume-PgHaMonitor once it is as it should be.");
            return;
        }
        IReadOnlyList<ConnectionInfo> entryPoints = PrimaryAfter is null ? _entryPoints : [PrimaryAfter, .. _entryPoints];
        OperationContext resume = _context.WithCancellation(CancellationToken.None);
        try
        {
            await MonitorPause.SetAsync(resume, entryPoints, paused: false, Wait).ConfigureAwait(false);
            _context.Reporter.Verbose("Resumed the monitors.");
        }
        catch (Exception ex) when (ex is PgHaException or Npgsql.NpgsqlException)
        {
            _context.Reporter.Warning($"The monitors could not be resumed after the role change ({ex.Message}); they stay paused: run Resume-PgHaMonitor.");
        }
    }
}
