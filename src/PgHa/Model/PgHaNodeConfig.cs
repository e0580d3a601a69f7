namespace PgHa;

/// <summary>
/// One node's configuration, as <c>Import-PgHaConfig</c> reads it from a PgHa .psd1 file or a repmgr.conf.
/// </summary>
/// <remarks>
/// Defaults are repmgr 5's wherever repmgr has one, so a repmgr.conf means the same thing to PgHa as to
/// repmgr. Monitor and timeout settings stay <c>null</c> when the file does not set them: PgHa's monitor
/// chooses its own defaults later, and null keeps "not given" apart from "given as repmgr's default".
/// Setters are internal: the object reports what a file says, it is not an editable settings bag.
/// A password is never kept: <see cref="Conninfo"/> is stored without one.
/// </remarks>
public sealed class PgHaNodeConfig
{
    // ---- Identity (required: repmgr refuses a file without node_id, node_name, conninfo and data_directory) ----

    /// <summary>Unique node id, a positive integer (repmgr <c>node_id</c>).</summary>
    public int NodeId { get; internal set; }

    /// <summary>Unique node name, at most 63 characters (repmgr stores it in a name-length column).</summary>
    public string NodeName { get; internal set; } = "";

    /// <summary>libpq connection string other nodes use to reach this one; any password has been removed.</summary>
    public string Conninfo { get; internal set; } = "";

    /// <summary>The PostgreSQL data directory of this node.</summary>
    public string DataDirectory { get; internal set; } = "";

    /// <summary>Where postgresql.conf lives when it is outside the data directory (Debian layout); null: in it.</summary>
    public string? ConfigDirectory { get; internal set; }

    /// <summary>Data centre or site of the node; repmgr's default 'default' (failover only promotes within the primary's location when set).</summary>
    public string Location { get; internal set; } = "default";

    /// <summary>Promotion preference; repmgr's default 100. 0 means this node is never promoted.</summary>
    public int Priority { get; internal set; } = 100;

    /// <summary>Directory of pg_ctl, pg_basebackup and friends; null: found on PATH, as repmgr does.</summary>
    public string? PgBinDir { get; internal set; }

    /// <summary>User for replication connections; null: the user in <see cref="Conninfo"/>, as repmgr does.</summary>
    public string? ReplicationUser { get; internal set; }

    /// <summary>Always 'physical': the only replication type repmgr 5 supports.</summary>
    public string ReplicationType { get; internal set; } = "physical";

    /// <summary>Whether standbys use replication slots; repmgr's default false.</summary>
    public bool UseReplicationSlots { get; internal set; }

    /// <summary>Database holding PgHa's metadata schema 'pgha'; PgHa's own default 'pgha' (repmgr has no such setting).</summary>
    public string MetadataDatabase { get; internal set; } = "pgha";

    // ---- Failover and monitoring ----

    /// <summary>Automatic or manual failover; repmgr's default is manual, so automatic failover is always an explicit choice.</summary>
    public PgHaFailoverMode Failover { get; internal set; } = PgHaFailoverMode.Manual;

    /// <summary>Command the monitor runs to promote this node (repmgr <c>promote_command</c>).</summary>
    public string? PromoteCommand { get; internal set; }

    /// <summary>Command the monitor runs to make this node follow a new primary; %n is the new primary's id.</summary>
    public string? FollowCommand { get; internal set; }

    /// <summary>How many times to retry the lost primary before failing over (repmgr default 6).</summary>
    public int? ReconnectAttempts { get; internal set; }

    /// <summary>Seconds between those retries (repmgr default 10).</summary>
    public int? ReconnectInterval { get; internal set; }

    /// <summary>Seconds between monitor checks (repmgr <c>monitor_interval_secs</c>, default 2).</summary>
    public int? MonitorInterval { get; internal set; }

    /// <summary>How the upstream is checked: 'ping', 'connection' or 'query' (repmgr default 'ping').</summary>
    public string? ConnectionCheckType { get; internal set; }

    /// <summary>Seconds in degraded monitoring before the monitor gives up; -1 means never (repmgr default).</summary>
    public int? DegradedMonitoringTimeout { get; internal set; }

    /// <summary>Whether standbys disconnect their WAL receivers during failover (repmgr default false).</summary>
    public bool? StandbyDisconnectOnFailover { get; internal set; }

    /// <summary>Whether standbys must agree the primary is gone before promoting (repmgr default false).</summary>
    public bool? PrimaryVisibilityConsensus { get; internal set; }

    /// <summary>Whether the monitor writes monitoring history (repmgr default false).</summary>
    public bool? MonitoringHistory { get; internal set; }

    /// <summary>Seconds before an asynchronous query is abandoned (repmgr default 60).</summary>
    public int? AsyncQueryTimeout { get; internal set; }

    /// <summary>Seconds to wait for the primary to shut down during switchover (repmgr default 60).</summary>
    public int? ShutdownCheckTimeout { get; internal set; }

    /// <summary>Seconds to wait for a restarted standby to reconnect (repmgr default 60).</summary>
    public int? StandbyReconnectTimeout { get; internal set; }

    /// <summary>Seconds a primary keeps taking writes without a majority vouching for it (PgHa only; null: the monitor's default, 3.5).</summary>
    public double? FenceTimeout { get; internal set; }

    /// <summary>What the monitor does with this node once another node replaced it as primary (PgHa only; null: Rejoin).</summary>
    public PgHaStalePrimaryAction? StalePrimary { get; internal set; }

    /// <summary>What the primary's monitor does without an attached synchronous standby (PgHa only; null: Wait).</summary>
    public PgHaSynchronousPolicy? SynchronousPolicy { get; internal set; }

    /// <summary>Seconds without a synchronous standby before SynchronousPolicy acts (PgHa only; null: 10).</summary>
    public double? SynchronousTimeout { get; internal set; }

    /// <summary>With etcd deciding: whether the primary keeps running while etcd is out of its reach but every member vouches for it directly (PgHa only; null: no, it fences).</summary>
    public bool? EtcdFailsafe { get; internal set; }

    /// <summary>With etcd deciding: the least seconds between two keepalives of the primary's leader key (PgHa only; null: every primary check, 0.25 s).</summary>
    public double? EtcdKeepAliveInterval { get; internal set; }

    /// <summary>Whether the monitor starts this node's server (PgHa only; null: no, PostgreSQL's own service does).</summary>
    public bool? ManageServer { get; internal set; }

    /// <summary>Seconds between witness metadata refreshes (repmgr default 15).</summary>
    public int? WitnessSyncInterval { get; internal set; }

    /// <summary>Port of the monitor's HTTP health endpoint (PgHa's own setting; default 8008, 0: none).</summary>
    public int? HttpPort { get; internal set; }

    /// <summary>Address the HTTP health endpoint listens on; default the node's own address.</summary>
    public string? HttpAddress { get; internal set; }

    /// <summary>PEM certificate of the HTTP health endpoint; with HttpKeyFile it serves HTTPS only.</summary>
    public string? HttpCertificateFile { get; internal set; }

    /// <summary>PEM private key of HttpCertificateFile.</summary>
    public string? HttpKeyFile { get; internal set; }

    /// <summary>Seconds to wait for a promotion to finish (repmgr default 60).</summary>
    public int? PromoteCheckTimeout { get; internal set; }

    /// <summary>Seconds between promotion checks (repmgr default 1).</summary>
    public int? PromoteCheckInterval { get; internal set; }

    /// <summary>Seconds to wait for the new primary to appear when following (repmgr default 60).</summary>
    public int? PrimaryFollowTimeout { get; internal set; }

    /// <summary>Seconds to wait for a standby to follow (repmgr default 30).</summary>
    public int? StandbyFollowTimeout { get; internal set; }

    /// <summary>Seconds to wait for a rejoined node to attach (repmgr default 60).</summary>
    public int? NodeRejoinTimeout { get; internal set; }

    // ---- Logging and events ----

    /// <summary>repmgr log level (DEBUG, INFO, NOTICE, WARNING, ERROR, ALERT, CRIT, EMERG); repmgr default NOTICE.</summary>
    public string? LogLevel { get; internal set; }

    /// <summary>Log file; null: standard error.</summary>
    public string? LogFile { get; internal set; }

    /// <summary>STDERR or a syslog facility (repmgr default STDERR).</summary>
    public string? LogFacility { get; internal set; }

    /// <summary>Seconds between monitor status log lines (repmgr default 300).</summary>
    public int? LogStatusInterval { get; internal set; }

    /// <summary>Command run for each event (repmgr <c>event_notification_command</c>).</summary>
    public string? EventHookCommand { get; internal set; }

    /// <summary>Events the hook is run for; empty: all events (repmgr <c>event_notifications</c>).</summary>
    public string[] EventNotifications { get; internal set; } = [];

    // ---- Remote access and service control ----

    /// <summary>Extra ssh options repmgr passes to ssh (repmgr <c>ssh_options</c>).</summary>
    public string? SshOptions { get; internal set; }

    /// <summary>Host to reach this node over SSH; null: the host of <see cref="Conninfo"/>.</summary>
    public string? SshHost { get; internal set; }

    /// <summary>SSH port; null: 22.</summary>
    public int? SshPort { get; internal set; }

    /// <summary>SSH user; null: 'postgres', the account that owns the data directory.</summary>
    public string? SshUser { get; internal set; }

    /// <summary>Private key file for SSH.</summary>
    public string? SshKeyFile { get; internal set; }

    /// <summary>known_hosts file the host key is checked against.</summary>
    public string? SshKnownHostsFile { get; internal set; }

    /// <summary>Command that starts PostgreSQL on this node; null: pg_ctl.</summary>
    public string? ServiceStartCommand { get; internal set; }

    /// <summary>Command that stops PostgreSQL on this node; null: pg_ctl.</summary>
    public string? ServiceStopCommand { get; internal set; }

    /// <summary>Command that restarts PostgreSQL on this node; null: pg_ctl.</summary>
    public string? ServiceRestartCommand { get; internal set; }

    /// <summary>Command that reloads PostgreSQL's configuration on this node; null: pg_ctl.</summary>
    public string? ServiceReloadCommand { get; internal set; }

    /// <summary>Command that promotes this node instead of pg_promote() (repmgr <c>service_promote_command</c>).</summary>
    public string? ServicePromoteCommand { get; internal set; }

    /// <summary>Extra options for pg_ctl.</summary>
    public string? PgCtlOptions { get; internal set; }

    /// <summary>Extra options for pg_basebackup when cloning.</summary>
    public string? PgBasebackupOptions { get; internal set; }

    /// <summary>Extra options for rsync.</summary>
    public string? RsyncOptions { get; internal set; }

    // ---- etcd (when the cluster's monitors decide through etcd: Set-PgHaConsensus -Backend Etcd) ----

    /// <summary>PEM file of the CA that signed the etcd members' certificates, on this host; null: the path recorded for the cluster.</summary>
    public string? EtcdCaFile { get; internal set; }

    /// <summary>PEM client certificate for etcd members run with --client-cert-auth, on this host; null: the path recorded for the cluster.</summary>
    public string? EtcdCertFile { get; internal set; }

    /// <summary>PEM private key of EtcdCertFile.</summary>
    public string? EtcdKeyFile { get; internal set; }

    /// <summary>etcd user the monitor authenticates as, when etcd's access control is on.</summary>
    public string? EtcdUser { get; internal set; }

    /// <summary>File holding EtcdUser's password on its first line, readable by its owner only; the password itself is never kept here.</summary>
    public string? EtcdPasswordFile { get; internal set; }

    // ---- Where it came from ----

    /// <summary>Full path of the file read.</summary>
    public string Source { get; internal set; } = "";

    /// <summary>Format of that file.</summary>
    public PgHaConfigFormat Format { get; internal set; }

    /// <summary>Keys in the file that PgHa does not use; each was also reported as a warning.</summary>
    public string[] UnknownKeys { get; internal set; } = [];
}
