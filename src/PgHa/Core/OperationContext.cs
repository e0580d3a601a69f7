using System.Net;

namespace PgHa.Core;

/// <summary>What every engine operation needs from its caller: credentials, time limits, a reporter and cancellation.</summary>
public sealed class OperationContext
{
    public OperationContext(IOperationReporter reporter, NetworkCredential? credential, int connectTimeoutSeconds, CancellationToken cancellationToken)
    {
        Reporter = reporter;
        Credential = credential;
        ConnectTimeoutSeconds = connectTimeoutSeconds;
        CancellationToken = cancellationToken;
    }

    public IOperationReporter Reporter { get; }

    /// <summary>The database credential (from -Credential); null lets conninfo, PGPASSWORD or .pgpass supply it.</summary>
    public NetworkCredential? Credential { get; }

    public int ConnectTimeoutSeconds { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>How to log in to nodes' hosts over SSH; nodes without an SSH host are reached locally.</summary>
    public SshClientSettings Ssh { get; init; } = SshClientSettings.Default;

    /// <summary>What to run after each event the operation commits; null: nothing.</summary>
    internal EventHook? EventHook { get; init; }

    /// <summary>
    /// Sessions commit with synchronous_commit = local: the monitor's own writes (events, lag samples, its
    /// record of a failover) must never wait for the synchronous standby whose absence it is there to handle.
    /// </summary>
    internal bool LocalCommit { get; init; }

    /// <summary>
    /// The deadline of every statement on the context's sessions that does not set its own (Npgsql's
    /// CommandTimeout, whose default is 30 s); null keeps Npgsql's. The monitor sets one: a server cut off in the
    /// middle of a statement answers nothing, and the monitor's loop, which stands in elections, must not wait
    /// 30 s for it (a standby following a new primary that was cut off the moment after left the cluster without
    /// a primary for 33 s in a fault run).
    /// </summary>
    internal int? StatementTimeoutSeconds { get; init; }

    /// <summary>
    /// The cluster secret, for commands that talk to the monitors (Get-, Suspend-, Resume-PgHaMonitor, a
    /// switchover pausing them); null when none was found: such a command can then only ask for statuses.
    /// </summary>
    internal ClusterSecret? ClusterSecret { get; init; }

    /// <summary>
    /// The command's SSH connections, one per node host, closed when the command ends; null: every step logs in
    /// anew (monitors, which run for days).
    /// </summary>
    internal HostSessions? Hosts { get; init; }

    /// <summary>
    /// The same context with another cancellation (a clean-up that must run after a Ctrl+C): every setting is
    /// carried over, so that a step done on the side still has the SSH settings, the hook and the cluster
    /// secret (a switchover's resume once lost the secret this way and could not tell the monitors directly).
    /// </summary>
    internal OperationContext WithCancellation(CancellationToken cancellationToken) =>
        new(Reporter, Credential, ConnectTimeoutSeconds, cancellationToken)
        {
            Ssh = Ssh,
            EventHook = EventHook,
            LocalCommit = LocalCommit,
            ClusterSecret = ClusterSecret,
            StatementTimeoutSeconds = StatementTimeoutSeconds,
            Hosts = Hosts,
        };

    /// <summary>
    /// The same context, its sessions committing with synchronous_commit = local: a switchover records its
    /// new primary before any standby streams from it, so a synchronous_standby_names left over from the old
    /// primary must not hold that record's commit.
    /// </summary>
    internal OperationContext WithLocalCommit() =>
        new(Reporter, Credential, ConnectTimeoutSeconds, CancellationToken)
        {
            Ssh = Ssh,
            EventHook = EventHook,
            LocalCommit = true,
            ClusterSecret = ClusterSecret,
            StatementTimeoutSeconds = StatementTimeoutSeconds,
            Hosts = Hosts,
        };
}
