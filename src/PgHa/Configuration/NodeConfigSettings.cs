namespace PgHa.Configuration;

/// <summary>Every setting PgHa reads, in both formats, with its checks.</summary>
internal static class NodeConfigSettings
{
    private static readonly string[] LogLevels = ["DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "ALERT", "CRIT", "EMERG"];

    public static IReadOnlyList<NodeConfigSetting> All { get; } =
    [
        new("node_id", "NodeId", SettingKind.Integer, (c, v) => c.NodeId = (int)v, minimum: 1, required: true),
        new("node_name", "NodeName", SettingKind.Text, (c, v) => c.NodeName = (string)v, required: true),
        new("conninfo", "Conninfo", SettingKind.Text, (c, v) => c.Conninfo = (string)v, required: true),
        new("data_directory", "DataDirectory", SettingKind.Text, (c, v) => c.DataDirectory = (string)v, required: true),
        new("config_directory", "ConfigDirectory", SettingKind.Text, (c, v) => c.ConfigDirectory = (string)v),
        new("location", "Location", SettingKind.Text, (c, v) => c.Location = (string)v),
        new("priority", "Priority", SettingKind.Integer, (c, v) => c.Priority = (int)v, minimum: 0),
        new("pg_bindir", "PgBinDir", SettingKind.Text, (c, v) => c.PgBinDir = (string)v),
        new("replication_user", "ReplicationUser", SettingKind.Text, (c, v) => c.ReplicationUser = (string)v),
        new("replication_type", "ReplicationType", SettingKind.Choice, (c, v) => c.ReplicationType = (string)v, choices: ["physical"]),
        new("use_replication_slots", "UseReplicationSlots", SettingKind.Boolean, (c, v) => c.UseReplicationSlots = (bool)v),
        new(null, "MetadataDatabase", SettingKind.Text, (c, v) => c.MetadataDatabase = (string)v),

        new("failover", "Failover", SettingKind.Failover, (c, v) => c.Failover = (PgHaFailoverMode)v),
        new("promote_command", "PromoteCommand", SettingKind.Text, (c, v) => c.PromoteCommand = (string)v),
        new("follow_command", "FollowCommand", SettingKind.Text, (c, v) => c.FollowCommand = (string)v),
        new("reconnect_attempts", "ReconnectAttempts", SettingKind.Integer, (c, v) => c.ReconnectAttempts = (int)v, minimum: 0),
        new("reconnect_interval", "ReconnectInterval", SettingKind.Integer, (c, v) => c.ReconnectInterval = (int)v, minimum: 0),
        new("monitor_interval_secs", "MonitorInterval", SettingKind.Integer, (c, v) => c.MonitorInterval = (int)v, minimum: 1),
        new("connection_check_type", "ConnectionCheckType", SettingKind.Choice, (c, v) => c.ConnectionCheckType = (string)v,
            choices: ["ping", "connection", "query"]),
        new("degraded_monitoring_timeout", "DegradedMonitoringTimeout", SettingKind.Integer,
            (c, v) => c.DegradedMonitoringTimeout = (int)v, minimum: -1),
        new("standby_disconnect_on_failover", "StandbyDisconnectOnFailover", SettingKind.Boolean,
            (c, v) => c.StandbyDisconnectOnFailover = (bool)v),
        new("primary_visibility_consensus", "PrimaryVisibilityConsensus", SettingKind.Boolean,
            (c, v) => c.PrimaryVisibilityConsensus = (bool)v),
        new("monitoring_history", "MonitoringHistory", SettingKind.Boolean, (c, v) => c.MonitoringHistory = (bool)v),
        new("async_query_timeout", "AsyncQueryTimeout", SettingKind.Integer, (c, v) => c.AsyncQueryTimeout = (int)v, minimum: 0),
        new("shutdown_check_timeout", "ShutdownCheckTimeout", SettingKind.Integer, (c, v) => c.ShutdownCheckTimeout = (int)v, minimum: 0),
        new("standby_reconnect_timeout", "StandbyReconnectTimeout", SettingKind.Integer,
            (c, v) => c.StandbyReconnectTimeout = (int)v, minimum: 0),
        // PgHa's own monitor settings (no repmgr equivalent); Start-PgHaMonitor -Config takes them unless a parameter is given.
        new(null, "FenceTimeout", SettingKind.Seconds, (c, v) => c.FenceTimeout = (double)v),
        new(null, "StalePrimary", SettingKind.Choice, (c, v) => c.StalePrimary = Enum.Parse<PgHaStalePrimaryAction>((string)v, ignoreCase: true),
            choices: ["Rejoin", "Fence"]),
        new(null, "SynchronousPolicy", SettingKind.Choice, (c, v) => c.SynchronousPolicy = Enum.Parse<PgHaSynchronousPolicy>((string)v, ignoreCase: true),
            choices: ["Wait", "Degrade"]),
        new(null, "SynchronousTimeout", SettingKind.Seconds, (c, v) => c.SynchronousTimeout = (double)v),
        new(null, "ManageServer", SettingKind.Boolean, (c, v) => c.ManageServer = (bool)v),
        new(null, "EtcdFailsafe", SettingKind.Boolean, (c, v) => c.EtcdFailsafe = (bool)v),
        new(null, "EtcdKeepAliveInterval", SettingKind.Seconds, (c, v) => c.EtcdKeepAliveInterval = (double)v),
        new("witness_sync_interval", "WitnessSyncInterval", SettingKind.Integer, (c, v) => c.WitnessSyncInterval = (int)v, minimum: 1),
        new(null, "HttpPort", SettingKind.Integer, (c, v) => c.HttpPort = (int)v, minimum: 0),
        new(null, "HttpAddress", SettingKind.Text, (c, v) => c.HttpAddress = (string)v),
        new(null, "HttpCertificateFile", SettingKind.Text, (c, v) => c.HttpCertificateFile = (string)v),
        new(null, "HttpKeyFile", SettingKind.Text, (c, v) => c.HttpKeyFile = (string)v),
        new("promote_check_timeout", "PromoteCheckTimeout", SettingKind.Integer, (c, v) => c.PromoteCheckTimeout = (int)v, minimum: 0),
        new("promote_check_interval", "PromoteCheckInterval", SettingKind.Integer, (c, v) => c.PromoteCheckInterval = (int)v, minimum: 1),
        new("primary_follow_timeout", "PrimaryFollowTimeout", SettingKind.Integer, (c, v) => c.PrimaryFollowTimeout = (int)v, minimum: 0),
        new("standby_follow_timeout", "StandbyFollowTimeout", SettingKind.Integer, (c, v) => c.StandbyFollowTimeout = (int)v, minimum: 0),
        new("node_rejoin_timeout", "NodeRejoinTimeout", SettingKind.Integer, (c, v) => c.NodeRejoinTimeout = (int)v, minimum: 0),

        new("log_level", "LogLevel", SettingKind.Choice, (c, v) => c.LogLevel = (string)v, choices: LogLevels),
        new("log_file", "LogFile", SettingKind.Text, (c, v) => c.LogFile = (string)v),
        new("log_facility", "LogFacility", SettingKind.Text, (c, v) => c.LogFacility = (string)v),
        new("log_status_interval", "LogStatusInterval", SettingKind.Integer, (c, v) => c.LogStatusInterval = (int)v, minimum: 0),
        new("event_notification_command", "EventHookCommand", SettingKind.Text, (c, v) => c.EventHookCommand = (string)v),
        new("event_notifications", "EventNotifications", SettingKind.TextList, (c, v) => c.EventNotifications = (string[])v),

        new("ssh_options", "SshOptions", SettingKind.Text, (c, v) => c.SshOptions = (string)v),
        new(null, "Ssh.Host", SettingKind.Text, (c, v) => c.SshHost = (string)v),
        new(null, "Ssh.Port", SettingKind.Integer, (c, v) => c.SshPort = (int)v, minimum: 1),
        new(null, "Ssh.User", SettingKind.Text, (c, v) => c.SshUser = (string)v),
        new(null, "Ssh.KeyFile", SettingKind.Text, (c, v) => c.SshKeyFile = (string)v),
        new(null, "Ssh.KnownHostsFile", SettingKind.Text, (c, v) => c.SshKnownHostsFile = (string)v),
        // The etcd backend's access from this host; endpoints and prefix are the cluster's, recorded in the metadata.
        new(null, "Etcd.CaFile", SettingKind.Text, (c, v) => c.EtcdCaFile = (string)v),
        new(null, "Etcd.CertFile", SettingKind.Text, (c, v) => c.EtcdCertFile = (string)v),
        new(null, "Etcd.KeyFile", SettingKind.Text, (c, v) => c.EtcdKeyFile = (string)v),
        new(null, "Etcd.User", SettingKind.Text, (c, v) => c.EtcdUser = (string)v),
        new(null, "Etcd.PasswordFile", SettingKind.Text, (c, v) => c.EtcdPasswordFile = (string)v),
        new("service_start_command", "ServiceStartCommand", SettingKind.Text, (c, v) => c.ServiceStartCommand = (string)v),
        new("service_stop_command", "ServiceStopCommand", SettingKind.Text, (c, v) => c.ServiceStopCommand = (string)v),
        new("service_restart_command", "ServiceRestartCommand", SettingKind.Text, (c, v) => c.ServiceRestartCommand = (string)v),
        new("service_reload_command", "ServiceReloadCommand", SettingKind.Text, (c, v) => c.ServiceReloadCommand = (string)v),
        new("service_promote_command", "ServicePromoteCommand", SettingKind.Text, (c, v) => c.ServicePromoteCommand = (string)v),
        new("pg_ctl_options", "PgCtlOptions", SettingKind.Text, (c, v) => c.PgCtlOptions = (string)v),
        new("pg_basebackup_options", "PgBasebackupOptions", SettingKind.Text, (c, v) => c.PgBasebackupOptions = (string)v),
        new("rsync_options", "RsyncOptions", SettingKind.Text, (c, v) => c.RsyncOptions = (string)v),
    ];

    /// <summary>
    /// repmgr 5 settings PgHa does not use (yet). They are still reported as unknown keys, but the warning can
    /// say "ignored" instead of suggesting a typo.
    /// </summary>
    public static IReadOnlySet<string> RepmgrOnly { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "always_promote", "archive_ready_critical", "archive_ready_warning", "barman_config", "barman_host",
        "barman_server", "child_nodes_check_interval", "child_nodes_connected_include_witness",
        "child_nodes_connected_min_count", "child_nodes_disconnect_command", "child_nodes_disconnect_min_count",
        "child_nodes_disconnect_timeout", "election_rerun_interval", "failover_validation_command", "passfile",
        "primary_notification_timeout", "recovery_min_apply_delay", "replication_lag_critical",
        "replication_lag_warning", "repmgr_bindir", "repmgrd_exit_on_inactive_node", "repmgrd_pid_file",
        "repmgrd_service_start_command", "repmgrd_service_stop_command", "sibling_nodes_disconnect_timeout",
        "tablespace_mapping", "use_primary_conninfo_password",
    };

    public static NodeConfigSetting? FindRepmgr(string key) => All.FirstOrDefault(s => s.RepmgrKey == key);

    public static NodeConfigSetting? FindPgHa(string key) =>
        All.FirstOrDefault(s => string.Equals(s.PgHaKey, key, StringComparison.OrdinalIgnoreCase));
}
