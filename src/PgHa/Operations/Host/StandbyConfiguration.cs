using PgHa.Conninfo;
using PgHa.Transport;

namespace PgHa.Operations.Host;

/// <summary>
/// Makes a data directory a standby of an upstream the PostgreSQL 12+ way: primary_conninfo (named after
/// the node, never with a password) and primary_slot_name in postgresql.auto.conf, and standby.signal.
/// Used by clone, and by every later command that points a node at a new upstream (follow, rejoin).
/// </summary>
internal static class StandbyConfiguration
{
    /// <summary>The connection a node streams through: the upstream's conninfo without database, password and passfile, named after the node.</summary>
    /// <summary>
    /// The configuration files a data directory may hold that describe this node (its address, port,
    /// authentication): pg_rewind and pg_basebackup copy the source's, so a rejoin or a clone that replaces a
    /// node's own directory puts these back afterwards, as repmgr node rejoin --config-files does.
    /// </summary>
    public static readonly string[] NodeOwnFiles = ["postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "pg_ident.conf"];

    public static ConnectionInfo ReplicationConninfo(ConnectionInfo upstream, string nodeName, string? replicationUser = null)
    {
        ConnectionInfo info = upstream.WithoutPassword().Without("dbname").Without("passfile").Without("target_session_attrs")
            .With("application_name", nodeName);
        return replicationUser is null ? info : info.With("user", replicationUser);
    }

    /// <summary>
    /// Writes primary_conninfo, sets or drops primary_slot_name (a node must not inherit its source's
    /// slot), applies <paramref name="otherSettings"/>, and writes standby.signal; then, once both are durable,
    /// removes <paramref name="thenRemove"/> (a file name in the directory: the clone's incomplete marker).
    /// </summary>
    public static async Task WriteAsync(INodeTransport host, string dataDirectory, ConnectionInfo replicationConninfo, string? slotName,
        IReadOnlyDictionary<string, string>? otherSettings, CancellationToken ct, string? thenRemove = null)
    {
        string dir = dataDirectory.TrimEnd('/');
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in otherSettings ?? new Dictionary<string, string>())
        {
            settings[name] = value;
        }
        settings["primary_conninfo"] = replicationConninfo.ToDisplayString();
        settings["primary_slot_name"] = slotName;
        string autoConfPath = dir + "/postgresql.auto.conf";
        string current = await host.ReadFileAsync(autoConfPath, ct).ConfigureAwait(false) ?? string.Empty;
        await NodeFileCommands.WriteStandbyFilesAsync(host, dir, AutoConf.Set(current, settings), thenRemove, ct).ConfigureAwait(false);
    }
}
