using PgHa.Core;
using System.Net;
using PgHa.Conninfo;
using PgHa.Metadata;
using PgHa.Operations.Monitor;

namespace PgHa.Operations.Checks;

/// <summary>
/// One run of Test-PgHaNode or Test-PgHaCluster: reads the node records, then every node's facts, the
/// monitors' status and the reachability matrix all at once (a dead node costs one connect timeout in
/// all, not one per check or per node), and hands the snapshot to the pure rules.
/// </summary>
internal static class CheckRun
{
    /// <summary>What Test-PgHaNode checks by default: repmgr node check's list and the monitor.</summary>
    public static readonly IReadOnlySet<PgHaCheckName> NodeChecks = new HashSet<PgHaCheckName>
    {
        PgHaCheckName.Connection, PgHaCheckName.Role, PgHaCheckName.Upstream, PgHaCheckName.ReplicationLag, PgHaCheckName.ReplicationLagBytes,
        PgHaCheckName.ArchiveBacklog, PgHaCheckName.DownstreamStandbys, PgHaCheckName.InactiveSlots, PgHaCheckName.SlotRetainedWal,
        PgHaCheckName.MissingSlots, PgHaCheckName.DataDirectory, PgHaCheckName.RewindReady, PgHaCheckName.Monitor,
    };

    /// <summary>What Test-PgHaCluster checks by default: everything.</summary>
    public static readonly IReadOnlySet<PgHaCheckName> AllChecks = Enum.GetValues<PgHaCheckName>().ToHashSet();

    public static async Task<CheckReport> RunAsync(OperationContext context, IReadOnlyList<ConnectionInfo> entryPoints, Func<string, bool> selectNode,
        IReadOnlySet<PgHaCheckName> checks, CheckThresholds thresholds)
    {
        var (nodes, source) = await MetadataReader.ReadNodesAsync(context, entryPoints).ConfigureAwait(false);
        var targets = nodes.Where(n => selectNode(n.Name)).ToList();
        context.Reporter.Verbose($"Read {nodes.Count} node record(s) from the metadata on '{source.ToDisplayString()}'; checking {targets.Count}: {string.Join(", ", checks.Order())}.");
        if (targets.Count == 0)
        {
            return new CheckReport([], nodes.Select(n => n.Name).ToList());
        }

        NodeRecord? primary = nodes.FirstOrDefault(n => n.Role == PgHaRole.Primary && n.Active);
        var toRead = targets.Concat(primary is null || targets.Any(t => t.Id == primary.Id) ? [] : new[] { primary }).ToList();
        bool Wants(params PgHaCheckName[] any) => any.Any(checks.Contains);

        DateTimeOffset checkedAt = DateTimeOffset.UtcNow;
        var factsTask = Task.WhenAll(toRead.Select(node => ReadFactsAsync(context, node, primary, checks)));
        Task<IReadOnlyList<PgHaMonitorStatus>>? monitorsTask = Wants(PgHaCheckName.Monitor)
            ? MonitorStatusReader.ReadAsync(context, nodes, thresholds.MonitorTimeout)
            : null;
        Task<IReadOnlyList<PgHaCheckResult>>? matrixTask = Wants(PgHaCheckName.Reachability)
            ? ReachabilityMatrix.ReadAsync(context, targets, nodes, checkedAt)
            : null;
        Task<Dictionary<int, IReadOnlyList<IPAddress>>> addressesTask = Wants(PgHaCheckName.ReplicationHba)
            ? ResolveAsync(context, nodes)
            : Task.FromResult(new Dictionary<int, IReadOnlyList<IPAddress>>());

        var read = await factsTask.ConfigureAwait(false);
        var snapshot = new ClusterSnapshot
        {
            Nodes = nodes,
            Facts = read.Where(r => r.Facts is not null).ToDictionary(r => r.Node.Id, r => r.Facts!),
            Errors = read.Where(r => r.Error is not null).ToDictionary(r => r.Node.Id, r => r.Error!),
            Unasked = read.Where(r => r.Unasked).Select(r => r.Node.Id).ToHashSet(),
            Monitors = monitorsTask is null ? null : (await monitorsTask.ConfigureAwait(false)).ToDictionary(m => m.NodeId),
            Matrix = matrixTask is null ? null : await matrixTask.ConfigureAwait(false),
            Thresholds = thresholds,
            CheckedAt = checkedAt,
        };
        var addresses = await addressesTask.ConfigureAwait(false);

        var results = new List<PgHaCheckResult>();
        if (checks.Contains(PgHaCheckName.SinglePrimary))
        {
            results.Add(ClusterCheckRules.SinglePrimary(snapshot));
        }
        foreach (NodeRecord node in targets)
        {
            results.AddRange(NodeCheckRules.Evaluate(snapshot, node, checks, addresses));
            results.AddRange(snapshot.Matrix?.Where(cell => cell.NodeId == node.Id) ?? []);
        }
        return new CheckReport(results, nodes.Select(n => n.Name).ToList());
    }

    private static async Task<(NodeRecord Node, NodeFacts? Facts, string? Error, bool Unasked)> ReadFactsAsync(OperationContext context, NodeRecord node, NodeRecord? primary, IReadOnlySet<PgHaCheckName> checks)
    {
        bool Wants(params PgHaCheckName[] any) => any.Any(checks.Contains);
        bool isPrimary = node.Id == primary?.Id;
        var parts = new NodeFactsReader.Parts(
            Settings: Wants(PgHaCheckName.StandbySettings),
            Archive: Wants(PgHaCheckName.ArchiveBacklog),
            Slots: Wants(PgHaCheckName.InactiveSlots, PgHaCheckName.SlotRetainedWal, PgHaCheckName.MissingSlots),
            Senders: Wants(PgHaCheckName.DownstreamStandbys),
            Hba: Wants(PgHaCheckName.ReplicationHba),
            AvailableExtensions: Wants(PgHaCheckName.Extensions),
            InstalledExtensions: isPrimary && Wants(PgHaCheckName.Extensions),
            Metadata: Wants(PgHaCheckName.Metadata));
        try
        {
            var info = RegisteredConninfo.Parse(node);
            context.Reporter.Verbose($"Reading {node.Name}'s state.");
            return (node, await NodeFactsReader.ReadAsync(context, node, info, parts).ConfigureAwait(false), null, false);
        }
        catch (PgHaException ex)
        {
            // A registered conninfo that does not parse, or that PgHa cannot honour, means the server was never
            // asked: its Connection check is Unknown, never "does not answer".
            return (node, null, ex.Message, ex.ErrorId == PgHaErrorIds.ConninfoInvalid);
        }
        catch (NodeHangsException ex)
        {
            return (node, null, ex.Message, false);
        }
        catch (Npgsql.NpgsqlException ex) when (!context.CancellationToken.IsCancellationRequested)
        {
            // The session broke after it was opened (the server went down meanwhile).
            return (node, null, $"the session broke: {ex.Message}", false);
        }
    }

    /// <summary>The addresses each node's conninfo host stands for, as its pg_hba.conf rules see a client from there.</summary>
    private static async Task<Dictionary<int, IReadOnlyList<IPAddress>>> ResolveAsync(OperationContext context, IReadOnlyList<NodeRecord> nodes)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(context.ConnectTimeoutSeconds));
        var resolved = await Task.WhenAll(nodes.Select(async node =>
        {
            string? host = StreamingSender.EndpointOf(node)?.Host;
            if (host is null || host.StartsWith('/'))
            {
                return (node.Id, (IReadOnlyList<IPAddress>)[]);
            }
            if (IPAddress.TryParse(host, out IPAddress? address))
            {
                return (node.Id, [address]);
            }
            try
            {
                return (node.Id, await Dns.GetHostAddressesAsync(host, deadline.Token).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                return (node.Id, (IReadOnlyList<IPAddress>)[]);
            }
        })).ConfigureAwait(false);
        return resolved.ToDictionary(r => r.Id, r => r.Item2);
    }
}
