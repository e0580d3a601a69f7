using PgHa.Core;
using System.Globalization;
using PgHa.Metadata;
using PgHa.Transport;

namespace PgHa.Operations.Checks;

/// <summary>
/// repmgr's cluster matrix: from each node's host, can each other node's server be reached? Run as one
/// command per source host (over SSH when the node has an SSH host; on this machine otherwise, which is
/// where PgHa runs every command for a node without one), with all its targets asked at once by
/// pg_isready, so a dead target costs one connect timeout per source and the sources run in parallel.
/// pg_isready reports whether the server answers, not whether a login would succeed.
/// </summary>
internal static class ReachabilityMatrix
{
    // $1 timeout, $2 the node's registered bin directory (may be empty), then host/port pairs. Prints
    // "<index> <pg_isready exit code>" per pair: 0 accepting, 1 rejecting (starting up), 2 no answer, 3 not tried.
    private const string Script = """
        t=$1; bin=$2; shift 2
        isready=
        if [ -n "$bin" ] && [ -x "$bin/pg_isready" ]; then isready="$bin/pg_isready"; fi
        if [ -z "$isready" ]; then isready=$(ls -d /usr/lib/postgresql/*/bin/pg_isready 2>/dev/null | sort -V | tail -n 1); fi
        if [ -z "$isready" ]; then isready=$(command -v pg_isready); fi
        if [ -z "$isready" ]; then echo 'pg_isready is not installed' >&2; exit 127; fi
        i=0
        while [ $# -gt 1 ]; do
          ( "$isready" -q -h "$1" -p "$2" -t "$t"; echo "$i $?" ) &
          i=$((i+1)); shift 2
        done
        wait
        """;

    public static async Task<IReadOnlyList<PgHaCheckResult>> ReadAsync(OperationContext context, IReadOnlyList<NodeRecord> sources, IReadOnlyList<NodeRecord> nodes, DateTimeOffset checkedAt)
    {
        var active = nodes.Where(n => n.Active).ToList();
        var rows = await Task.WhenAll(sources.Where(s => s.Active).Select(source => FromAsync(context, source, active.Where(t => t.Id != source.Id).ToList(), checkedAt))).ConfigureAwait(false);
        return rows.SelectMany(r => r).ToList();
    }

    private static async Task<IReadOnlyList<PgHaCheckResult>> FromAsync(OperationContext context, NodeRecord source, IReadOnlyList<NodeRecord> targets, DateTimeOffset checkedAt)
    {
        if (targets.Count == 0)
        {
            return [];
        }
        string from = string.IsNullOrEmpty(source.SshHost) ? $"this machine (no SSH host is registered for {source.Name}, so PgHa takes it to run here)" : $"{source.Name}'s host over SSH";
        var endpoints = targets.Select(StreamingSender.EndpointOf).ToList();
        int timeout = Math.Max(1, context.ConnectTimeoutSeconds);
        var arguments = new List<string> { "-c", Script, "sh", timeout.ToString(CultureInfo.InvariantCulture), source.PgBinDir ?? string.Empty };
        foreach (var endpoint in endpoints.OfType<NodeEndpoint>())
        {
            arguments.Add(endpoint.Host);
            arguments.Add(endpoint.Port.ToString(CultureInfo.InvariantCulture));
        }

        CommandResult result;
        try
        {
            await using INodeTransport transport = await NodeAccess.OpenAsync(context, source.Name, source.SshHost, source.SshPort, source.SshUser).ConfigureAwait(false);
            result = await transport.RunAsync("sh", arguments, new CommandOptions { Timeout = TimeSpan.FromSeconds(timeout + 5) }, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgHaException or TimeoutException or IOException)
        {
            return targets.Select(t => Row(source, t, PgHaHealthStatus.Unknown, null,
                $"Could not run pg_isready from {from}: {ex.Message}", checkedAt)).ToList();
        }
        if (result.ExitCode != 0)
        {
            return targets.Select(t => Row(source, t, PgHaHealthStatus.Unknown, null,
                $"pg_isready could not be run from {from}: {result.StandardError.Trim()} Install the PostgreSQL client there, or register its -PgBinDir.", checkedAt)).ToList();
        }

        var codes = new Dictionary<int, int>();
        foreach (string line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split(' ');
            if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int index) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int code))
            {
                codes[index] = code;
            }
        }
        var rows = new List<PgHaCheckResult>();
        int asked = 0;
        for (int i = 0; i < targets.Count; i++)
        {
            NodeRecord target = targets[i];
            if (endpoints[i] is not NodeEndpoint endpoint)
            {
                rows.Add(Row(source, target, PgHaHealthStatus.Unknown, null, $"{target.Name}'s registered conninfo is invalid; register it again with a valid -Conninfo.", checkedAt));
                continue;
            }
            int? code = codes.TryGetValue(asked++, out int c) ? c : null;
            rows.Add(code switch
            {
                0 => Row(source, target, PgHaHealthStatus.Ok, "reachable", $"{target.Name} ({endpoint}) accepts connections, asked from {from}.", checkedAt),
                1 => Row(source, target, PgHaHealthStatus.Warning, "rejecting", $"{target.Name} ({endpoint}) answers from {from} but rejects connections (starting up or shutting down).", checkedAt),
                2 => Row(source, target, PgHaHealthStatus.Critical, "unreachable",
                    $"{target.Name} ({endpoint}) does not answer from {from} within {timeout} s: a failover that needs {source.Name} to reach {target.Name} fails. Check that the server runs and that firewalls let {source.Name} in.", checkedAt),
                _ => Row(source, target, PgHaHealthStatus.Unknown, null, $"pg_isready did not try {target.Name} ({endpoint}) from {from} (exit code {(code is null ? "missing" : code)}).", checkedAt),
            });
        }
        return rows;
    }

    private static PgHaCheckResult Row(NodeRecord source, NodeRecord target, PgHaHealthStatus status, string? value, string message, DateTimeOffset checkedAt) => new()
    {
        Node = source.Name,
        NodeId = source.Id,
        Peer = target.Name,
        Check = PgHaCheckName.Reachability,
        Status = status,
        Value = value,
        Threshold = "reachable",
        Message = message,
        CheckedAt = checkedAt,
    };
}
