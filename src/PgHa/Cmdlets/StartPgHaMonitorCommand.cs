using System.Management.Automation;
using System.Runtime.InteropServices;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations;
using PgHa.Operations.Monitor;
using PgHa.Operations.Monitor.Health;

namespace PgHa.Cmdlets;

/// <summary>
/// Start-PgHaMonitor (repmgrd): the monitor of one node, in the foreground until Ctrl+C, SIGTERM or
/// StopProcessing, so that a systemd unit, a scheduled task or a container runs it as it is.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "PgHaMonitor", DefaultParameterSetName = "Name")]
[OutputType(typeof(void))]
public sealed class StartPgHaMonitorCommand : PgHaEventCmdlet
{
    /// <summary>A monitor checks often: a connection that has not answered in 1 s counts as a failed check (the other commands wait 3 s).</summary>
    public StartPgHaMonitorCommand() => ConnectTimeout = 1;

    /// <summary>libpq conninfo of any node (its dbname is the metadata database); several may be given.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>The registered node this monitor looks after (the node it runs on).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>The node's configuration: an object from Import-PgHaConfig, or the path of a .psd1 or repmgr.conf file.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Config")]
    [NodeConfigTransformation]
    public PgHaNodeConfig? Config { get; set; }

    /// <summary>How this monitor reaches its own server; by default the node's conninfo. A Unix socket keeps it reachable when the network is cut.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LocalConninfo { get; set; }

    [Parameter]
    public PgHaFailoverMode Failover { get; set; } = PgHaFailoverMode.Automatic;

    /// <summary>Seconds between checks of the primary while it answers.</summary>
    [Parameter]
    [ValidateRange(0.1, 60)]
    public double MonitorInterval { get; set; } = 1;

    /// <summary>Failed checks before the primary is voted out.</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int ReconnectAttempts { get; set; } = 7;

    /// <summary>Seconds between those checks.</summary>
    [Parameter]
    [ValidateRange(0.1, 60)]
    public double ReconnectInterval { get; set; } = 1;

    /// <summary>Seconds a primary keeps taking writes without a majority seeing it.</summary>
    [Parameter]
    [ValidateRange(0.5, 600)]
    public double FenceTimeout { get; set; } = 3.5;

    /// <summary>What to do with this node when it turns out to be a replaced primary.</summary>
    [Parameter]
    public PgHaStalePrimaryAction StalePrimary { get; set; } = PgHaStalePrimaryAction.Rejoin;

    /// <summary>When synchronous_standby_names is set but no synchronous standby is attached: Wait (commits wait; warning and event) or Degrade (set it aside after -SynchronousTimeout, put it back later).</summary>
    [Parameter]
    public PgHaSynchronousPolicy SynchronousPolicy { get; set; } = PgHaSynchronousPolicy.Wait;

    /// <summary>Seconds without a synchronous standby before -SynchronousPolicy acts.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public double SynchronousTimeout { get; set; } = 10;

    /// <summary>Seconds between replication lag samples written on the primary; 0 for none.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public double MonitoringHistoryInterval { get; set; } = 10;

    /// <summary>Days lag samples are kept.</summary>
    [Parameter]
    [ValidateRange(0.001, 3650)]
    public double MonitoringHistoryRetentionDays { get; set; } = 7;

    /// <summary>Also append every log line, time-stamped, to this file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogFile { get; set; }

    /// <summary>The monitor starts the node's server when it finds it stopped, never writable: a replaced primary stays stopped until it is rejoined, the primary of the newest term starts read-only until an election. Disable PostgreSQL's own service then.</summary>
    [Parameter]
    public SwitchParameter ManageServer { get; set; }

    /// <summary>With etcd deciding (Set-PgHaConsensus): while etcd is out of this primary's reach, it keeps running as long as every member's monitor vouches for it directly, instead of fencing (Patroni's failsafe_mode). Off by default.</summary>
    [Parameter]
    public SwitchParameter EtcdFailsafe { get; set; }

    /// <summary>With etcd deciding: the least seconds between two keepalives of the primary's leader key; by default every primary check (0.25 s). Sparser keepalives let the key of a lost node run out sooner, and let a shorter etcd stall fence the primary.</summary>
    [Parameter]
    [ValidateRange(0.05, 60)]
    public double EtcdKeepAliveInterval { get; set; }

    /// <summary>Where the monitor keeps its last vote; by default beside the data directory (&lt;data directory&gt;.pgha-monitor.json).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StateFile { get; set; }

    /// <summary>The cluster secret's file (mode 0600), the same on every node; by default $PgHaClusterSecretFile, $env:PGHA_CLUSTER_SECRET_FILE, or ~/.pgha/cluster-secret. The monitor does not start without it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SecretFile { get; set; }

    /// <summary>etcd user and password, when the metadata records etcd as the cluster's consensus and etcd's access control is on; never logged or recorded. By default the node configuration's Etcd.User and Etcd.PasswordFile.</summary>
    [Parameter]
    [Credential]
    public PSCredential? EtcdCredential { get; set; }

    /// <summary>Port of the HTTP health endpoint (/primary, /replica, /read-only, /health, /cluster, /metrics); 0 switches it off.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int HttpPort { get; set; } = HealthEndpointSettings.DefaultPort;

    /// <summary>Address the HTTP endpoint listens on (0.0.0.0 for every address); by default the node's own address.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HttpAddress { get; set; }

    /// <summary>PEM certificate (chain) for HTTPS; needs -HttpKeyFile.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HttpCertificateFile { get; set; }

    /// <summary>PEM private key of -HttpCertificateFile.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HttpKeyFile { get; set; }

    protected override void ProcessRecord()
    {
        MonitorSettings settings = BuildSettings();
        MonitorTarget target = BuildTarget();
        string? logFile = LogFile ?? Config?.LogFile;
        if (logFile is not null)
        {
            logFile = SessionState.Path.GetUnresolvedProviderPathFromPSPath(logFile);
        }
        try
        {
            settings.Validate();
            // SIGTERM (systemd stop, docker stop) ends the monitor as Ctrl+C does: cleanly, between checks.
            using PosixSignalRegistration? term = OperatingSystem.IsWindows() ? null
                : PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
                {
                    signal.Cancel = true;
                    StopProcessing();
                });
            RunEngine<bool>(async (context, reporter) =>
            {
                var log = new MonitorLog(reporter, reporter.Information, logFile);
                await new NodeMonitor(context, settings, target, log).RunAsync().ConfigureAwait(false);
                return true;
            });
        }
        catch (PgHaException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
        }
    }

    private protected override bool SharesHostSessions => false;

    private MonitorSettings BuildSettings()
    {
        PgHaNodeConfig? config = Config;
        return new MonitorSettings
        {
            Failover = Bound(nameof(Failover)) || config is null ? Failover : config.Failover,
            MonitorInterval = TimeSpan.FromSeconds(Bound(nameof(MonitorInterval)) ? MonitorInterval : config?.MonitorInterval ?? MonitorInterval),
            ReconnectAttempts = Bound(nameof(ReconnectAttempts)) ? ReconnectAttempts : config?.ReconnectAttempts ?? ReconnectAttempts,
            ReconnectInterval = TimeSpan.FromSeconds(Bound(nameof(ReconnectInterval)) ? ReconnectInterval : config?.ReconnectInterval ?? ReconnectInterval),
            FenceTimeout = TimeSpan.FromSeconds(Bound(nameof(FenceTimeout)) ? FenceTimeout : config?.FenceTimeout ?? FenceTimeout),
            StalePrimary = Bound(nameof(StalePrimary)) ? StalePrimary : config?.StalePrimary ?? StalePrimary,
            MonitoringHistoryInterval = TimeSpan.FromSeconds(config?.MonitoringHistory == false && !Bound(nameof(MonitoringHistoryInterval)) ? 0 : MonitoringHistoryInterval),
            MonitoringHistoryRetention = TimeSpan.FromDays(MonitoringHistoryRetentionDays),
            SynchronousPolicy = Bound(nameof(SynchronousPolicy)) ? SynchronousPolicy : config?.SynchronousPolicy ?? SynchronousPolicy,
            SynchronousTimeout = TimeSpan.FromSeconds(Bound(nameof(SynchronousTimeout)) ? SynchronousTimeout : config?.SynchronousTimeout ?? SynchronousTimeout),
            WitnessSyncInterval = TimeSpan.FromSeconds(config?.WitnessSyncInterval ?? 15),
            ManageServer = Bound(nameof(ManageServer)) ? ManageServer.IsPresent : config?.ManageServer ?? false,
            EtcdFailsafe = Bound(nameof(EtcdFailsafe)) ? EtcdFailsafe.IsPresent : config?.EtcdFailsafe ?? false,
            EtcdKeepAliveInterval = (Bound(nameof(EtcdKeepAliveInterval)) ? EtcdKeepAliveInterval : config?.EtcdKeepAliveInterval) is { } keepAlive ? TimeSpan.FromSeconds(keepAlive) : null,
            Http = BuildHttp(config),
        };
    }

    private HealthEndpointSettings BuildHttp(PgHaNodeConfig? config)
    {
        string? address = HttpAddress ?? config?.HttpAddress;
        System.Net.IPAddress? ip = null;
        if (address is not null && !System.Net.IPAddress.TryParse(address, out ip))
        {
            ThrowTerminatingError(ErrorRecords.Of(new ArgumentException($"-HttpAddress '{address}' is not an IP address. Give the address to listen on (0.0.0.0 for all), or leave it out for the node's own address."),
                PgHaErrorIds.MonitorHttpAddressInvalid, address));
        }
        string? certificate = HttpCertificateFile ?? config?.HttpCertificateFile;
        string? key = HttpKeyFile ?? config?.HttpKeyFile;
        if ((certificate is null) != (key is null))
        {
            ThrowTerminatingError(ErrorRecords.Of(new ArgumentException("HTTPS needs both -HttpCertificateFile and -HttpKeyFile (PEM files); give both, or neither for plain HTTP."),
                PgHaErrorIds.MonitorHttpCertificateIncomplete, certificate ?? key));
        }
        int port = Bound(nameof(HttpPort)) ? HttpPort : config?.HttpPort ?? HttpPort;
        if (port > 65535)
        {
            ThrowTerminatingError(ErrorRecords.Of(new ArgumentException($"HttpPort {port} is not a TCP port (0-65535)."), PgHaErrorIds.MonitorHttpPortInvalid, port));
        }
        return new HealthEndpointSettings
        {
            Port = port,
            Required = Bound(nameof(HttpPort)) || config?.HttpPort is not null,
            Address = ip,
            CertificateFile = certificate is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(certificate),
            KeyFile = key is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(key),
        };
    }

    private MonitorTarget BuildTarget()
    {
        string? stateFile = StateFile is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(StateFile);
        string secretFile;
        Etcd.EtcdAccess etcd;
        try
        {
            // Only a name that could be registered can have a monitor; checked here, before anything listens.
            if (ParameterSetName == "Name")
            {
                NodeNames.Validate(Name);
            }
            // Read by the monitor once it has found its node, so a missing file is reported with what the monitor knows.
            secretFile = ClusterSecretPath(SecretFile).Path;
            // Used only when the metadata records etcd; the password file is read now, so a bad one fails before anything listens.
            etcd = EtcdAccessSources.FromCredential(NetworkCredentialOf(EtcdCredential)).Over(EtcdAccessSources.FromNodeConfig(Config));
        }
        catch (PgHaException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
            throw new InvalidOperationException("unreachable");
        }
        if (ParameterSetName == "Config")
        {
            ConnectionInfo own = ParseConninfoParameter(Config!.Conninfo, "Config.Conninfo");
            return new MonitorTarget(Config.NodeName, Config.NodeId, Local() ?? own, [own], stateFile, secretFile, etcd);
        }
        return new MonitorTarget(Name, null, Local(), EntryPoints(Conninfo), stateFile, secretFile, etcd);
    }

    /// <summary>-EventCommand / -EventAction / the session variables first; otherwise the config's event_notification_command, for the events it lists.</summary>
    private protected override EventHook? EventHookFor(PipelineReporter reporter) =>
        base.EventHookFor(reporter) ?? (Config is null ? null : EventHook.FromConfig(Config));

    private ConnectionInfo? Local() => LocalConninfo is null ? null : ParseConninfoParameter(LocalConninfo, nameof(LocalConninfo));

    private bool Bound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);
}
