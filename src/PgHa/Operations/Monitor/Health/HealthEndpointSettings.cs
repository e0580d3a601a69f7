namespace PgHa.Operations.Monitor.Health;

/// <summary>
/// Where the monitor's HTTP health endpoint listens (Start-PgHaMonitor -HttpPort, -HttpAddress,
/// -HttpCertificateFile, -HttpKeyFile). Port 8008 by default: the port Patroni's REST API uses, so
/// HAProxy and keepalived checks written for Patroni keep their port.
/// </summary>
internal sealed record HealthEndpointSettings
{
    public const int DefaultPort = 8008;

    public int Port { get; init; } = DefaultPort;

    /// <summary>null: the node's own address (where the monitor's peer port listens too).</summary>
    public System.Net.IPAddress? Address { get; init; }

    /// <summary>
    /// The port was asked for (a parameter or the config file): the monitor does not start without it. The
    /// default port, when taken, only costs a warning: a monitor that ran before there was an endpoint keeps running.
    /// </summary>
    public bool Required { get; init; }

    /// <summary>PEM certificate (chain) file; with <see cref="KeyFile"/> the endpoint speaks HTTPS only.</summary>
    public string? CertificateFile { get; init; }

    /// <summary>PEM private key file of <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; init; }
}
