using System.Globalization;
using System.Text.Json;

namespace PgHa.Operations.Monitor.Health;

/// <summary>
/// The rules of the endpoint, pure: a request and the monitor's last snapshot in, an answer out.
/// <list type="bullet">
/// <item>/primary: 200 only on the writable primary of the current term that is not fenced and still holds
/// its lease (a majority vouched for it within the fence timeout; a paused primary is never fenced, so it
/// holds it while paused). The lease is compared with the clock at the request, so a monitor whose loop
/// stalls stops answering 200 when the lease ends, as its server would be fenced then.</item>
/// <item>/replica (?lag=16MB or ?lag=5s): 200 on a running standby that streams from the primary or its registered upstream.</item>
/// <item>/read-only: 200 when /primary or /replica would answer 200.</item>
/// <item>/health: 200 while PostgreSQL runs. /cluster and /metrics: 200 with the snapshot.</item>
/// </list>
/// A snapshot older than <c>staleAfter</c> (the monitor's loop stopped) answers 503 everywhere but /metrics
/// and /cluster, which say how old it is.
/// </summary>
internal static class HealthAnswers
{
    public const string JsonType = "application/json; charset=utf-8";
    public const string MetricsType = "text/plain; version=0.0.4; charset=utf-8";

    public static readonly IReadOnlyList<string> Paths = ["/primary", "/replica", "/read-only", "/health", "/cluster", "/metrics"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };

    public static HealthResponse Answer(HealthRequest request, MonitorSnapshot? snapshot, long nowMs, TimeSpan staleAfter)
    {
        if (request.Method is not ("GET" or "HEAD"))
        {
            return Error(405, $"{request.Method} is not allowed: the endpoint is read-only (GET, HEAD)") with { ExtraHeaders = [("Allow", "GET, HEAD")] };
        }
        string path = request.Path.ToLowerInvariant();
        if (path == "/")
        {
            path = "/primary"; // as Patroni: a bare check asks for the primary
        }
        if (!Paths.Contains(path) && path is not ("/master" or "/standby" or "/readonly"))
        {
            return Error(404, $"no such path; the endpoint answers {string.Join(", ", Paths)}");
        }
        if (snapshot is null)
        {
            return Error(503, "the monitor has not finished its first round yet");
        }
        double age = snapshot.AgeSeconds(nowMs);
        if (path == "/metrics")
        {
            return new HealthResponse(200, MetricsType, MetricsText.Render(snapshot, nowMs), age);
        }
        if (path == "/cluster")
        {
            return Body(200, ClusterBody(snapshot, age), age);
        }
        LagLimit? lag = null;
        if (request.Query.TryGetValue("lag", out string? lagText) && !LagLimit.TryParse(lagText, out lag, out string? lagError))
        {
            return Error(400, lagError!);
        }
        bool stale = age > staleAfter.TotalSeconds;
        (bool ok, string reason) = path switch
        {
            "/primary" or "/master" => IsPrimary(snapshot, nowMs),
            "/replica" or "/standby" => IsReplica(snapshot, lag),
            "/read-only" or "/readonly" => ReadOnly(snapshot, nowMs, lag),
            _ => snapshot.ServerRunning ? (true, "PostgreSQL runs") : (false, "PostgreSQL does not run"),
        };
        if (stale)
        {
            (ok, reason) = (false, $"the monitor's last round ended {age:0.0} s ago; its loop is not running (or busy with a role change)");
        }
        return Body(ok ? 200 : 503, NodeBody(snapshot, nowMs, age, reason), age);
    }

    public static (bool Ok, string Reason) IsPrimary(MonitorSnapshot s, long nowMs)
    {
        if (s.Role != MonitorRole.Primary || s.InRecovery != false)
        {
            return (false, $"this node is not a writable primary (role {s.Role.Name()})");
        }
        if (s.Fenced)
        {
            return (false, "this node is fenced");
        }
        if (!s.IsLeader)
        {
            return (false, $"{s.Leader ?? "no node"} leads term {s.Term}, not this node");
        }
        if (s.LeaseExpiresMs is not { } until || nowMs >= until)
        {
            return (false, "no majority of the members has vouched for this primary within the fence timeout: it is about to fence itself");
        }
        return (true, s.Paused ? $"the primary of term {s.Term} (monitoring paused: no fencing)" : $"the primary of term {s.Term}, vouched for by a majority");
    }

    public static (bool Ok, string Reason) IsReplica(MonitorSnapshot s, LagLimit? lag)
    {
        if (s.Role != MonitorRole.Standby || s.InRecovery != true)
        {
            return (false, $"this node is not a running standby (role {s.Role.Name()})");
        }
        if (!s.StreamingFromUpstream)
        {
            return (false, "this standby does not stream from the primary or its upstream");
        }
        if (lag is not null && !lag.Allows(s.LagBytes, s.LagSeconds))
        {
            return (false, lag.Bytes is { } b
                ? $"lag {(s.LagBytes is { } l ? l.ToString(CultureInfo.InvariantCulture) + " bytes" : "unknown")} exceeds {b} bytes"
                : $"lag {(s.LagSeconds is { } sec ? sec.ToString("0.###", CultureInfo.InvariantCulture) + " s" : "unknown")} exceeds {lag.Time!.Value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
        }
        return (true, "a standby streaming from its upstream");
    }

    private static (bool Ok, string Reason) ReadOnly(MonitorSnapshot s, long nowMs, LagLimit? lag)
    {
        var primary = IsPrimary(s, nowMs);
        return primary.Ok ? primary : IsReplica(s, lag);
    }

    private static object NodeBody(MonitorSnapshot s, long nowMs, double age, string reason) => new
    {
        node = s.NodeName,
        nodeId = s.NodeId,
        role = s.Role.Name(),
        serverRunning = s.ServerRunning,
        fenced = s.Fenced,
        paused = s.Paused,
        term = s.Term,
        leader = s.Leader,
        leaseRemainingSeconds = s.LeaseExpiresMs is { } until ? (until == long.MaxValue ? (double?)null : Math.Max(0, until - nowMs) / 1000.0) : null,
        timeline = s.Timeline,
        lsn = s.Lsn,
        upstream = s.Upstream,
        streaming = s.StreamingFromUpstream,
        lagBytes = s.LagBytes,
        lagSeconds = s.LagSeconds,
        lastCheckAt = s.LastCheckAt,
        snapshotAt = s.TakenAt,
        snapshotAgeSeconds = Math.Round(age, 3),
        reason,
    };

    private static object ClusterBody(MonitorSnapshot s, double age) => new
    {
        node = s.NodeName,
        term = s.Term,
        leader = s.Leader,
        paused = s.Paused,
        members = s.Members,
        snapshotAt = s.TakenAt,
        snapshotAgeSeconds = Math.Round(age, 3),
    };

    private static HealthResponse Body(int status, object body, double? age) =>
        new(status, JsonType, JsonSerializer.Serialize(body, Json) + "\n", age);

    private static HealthResponse Error(int status, string message) =>
        Body(status, new { error = message }, null);
}
