using System.Text.RegularExpressions;
using Npgsql;
using PgHa.Metadata;
using PgHa.Sql;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The primary's watch over synchronous replication: when synchronous_standby_names names standbys but
/// none is attached as synchronous, commits wait — forever, as far as PostgreSQL is concerned. The monitor
/// never lets that go unnoticed: after the timeout it warns and records an event (Wait, the default), or
/// sets the setting aside so writes go on asynchronously (Degrade) and puts it back once a standby it names
/// streams again. The set-aside value lives in pgha.cluster_state, so the cluster view shows it and a
/// restarted or new primary's monitor can put it back.
/// </summary>
internal sealed partial class SynchronousGuard(PgHaSynchronousPolicy policy, TimeSpan timeout, MonitorLog log)
{
    private long? _unsatisfiedSinceMs;
    private bool _reported;

    /// <summary>Events to record, if any (the caller records them on this primary).</summary>
    public async Task<(string Event, bool Successful, string Details)?> CheckAsync(NpgsqlConnection connection, long nowMs, CancellationToken ct)
    {
        string names = await ScalarAsync(connection, "SELECT current_setting('synchronous_standby_names')", ct).ConfigureAwait(false) ?? string.Empty;
        var store = new MetadataStore(connection);
        ClusterStateRecord? state = await store.GetClusterStateAsync(ct).ConfigureAwait(false);
        if (names.Length == 0)
        {
            _unsatisfiedSinceMs = null;
            _reported = false;
            if (state?.SynchronousSetAside is { } setAside && await AnyNamedStandbyStreamsAsync(connection, setAside, ct).ConfigureAwait(false))
            {
                await ApplyAsync(connection, setAside, ct).ConfigureAwait(false);
                await SetAsideAsync(connection, null, ct).ConfigureAwait(false);
                log.Info($"A standby named in synchronous_standby_names streams again: put '{setAside}' back.");
                return ("synchronous_restored", true, $"synchronous_standby_names = '{setAside}' put back: a standby it names streams again");
            }
            return null;
        }
        string? attached = await ScalarAsync(connection, "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')", ct).ConfigureAwait(false);
        if (attached != "0")
        {
            _unsatisfiedSinceMs = null;
            _reported = false;
            if (state?.SynchronousSetAside is not null)
            {
                // A Degrade that recorded the names but did not get to ALTER SYSTEM (its deadline passed): the
                // setting is still in place and satisfied, so the record must not put it back some later day.
                await SetAsideAsync(connection, null, ct).ConfigureAwait(false);
            }
            return null;
        }
        _unsatisfiedSinceMs ??= nowMs;
        if (nowMs - _unsatisfiedSinceMs < timeout.TotalMilliseconds || _reported)
        {
            return null;
        }
        if (policy == PgHaSynchronousPolicy.Wait)
        {
            _reported = true;
            log.Warning($"No synchronous standby has been attached for {timeout.TotalSeconds:0} s: commits wait (synchronous_standby_names = '{names}'). Start or repair a standby, or run the monitor with -SynchronousPolicy Degrade.");
            return ("synchronous_waiting", false, $"no synchronous standby attached for {timeout.TotalSeconds:0} s: commits wait (synchronous_standby_names = '{names}')");
        }
        // Recorded first, so that it can be put back whatever happens next; reported only once both are done: a step
        // that failed (its statement deadline passed) is tried again at the next check, not given up for good.
        await SetAsideAsync(connection, names, ct).ConfigureAwait(false);
        await ApplyAsync(connection, string.Empty, ct).ConfigureAwait(false);
        _reported = true;
        log.Warning($"No synchronous standby has been attached for {timeout.TotalSeconds:0} s: synchronous_standby_names ('{names}') set aside, writes go on ASYNCHRONOUSLY until a standby it names streams again.");
        return ("synchronous_degraded", true, $"no synchronous standby attached for {timeout.TotalSeconds:0} s: synchronous_standby_names '{names}' set aside, commits no longer wait for a standby");
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, string names, CancellationToken ct)
    {
        // ALTER SYSTEM takes no parameters (a quoted literal), and runs outside a transaction block.
        await using (var alter = new NpgsqlCommand($"ALTER SYSTEM SET synchronous_standby_names = {SqlLiteral.Quote(names)}", connection))
        {
            await alter.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task SetAsideAsync(NpgsqlConnection connection, string? names, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE pgha.cluster_state
               SET synchronous_set_aside = $1, synchronous_degraded_at = CASE WHEN $1 IS NULL THEN NULL ELSE clock_timestamp() END
             WHERE id = 1
            """, connection);
        cmd.Parameters.Add(new() { Value = (object?)names ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<bool> AnyNamedStandbyStreamsAsync(NpgsqlConnection connection, string names, CancellationToken ct)
    {
        IReadOnlySet<string> named = NamesIn(names);
        await using var cmd = new NpgsqlCommand("SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'", connection);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (named.Contains("*") || named.Contains(reader.GetString(0)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The standby names in a synchronous_standby_names value: "FIRST 2 (a, "b c")", "ANY 1 (a, b)", "a, b", "*".</summary>
    public static IReadOnlySet<string> NamesIn(string value)
    {
        string list = ListPart().Match(value) is { Success: true } m ? m.Groups[1].Value : value;
        return list.Split(',')
            .Select(n => n.Trim())
            .Select(n => n.Length >= 2 && n[0] == '"' && n[^1] == '"' ? n[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : n)
            .Where(n => n.Length > 0)
            .ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"^\s*(?:(?:FIRST|ANY)\s+)?\d+\s*\((.*)\)\s*$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex ListPart();

    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))?.ToString();
    }
}
