using System.Diagnostics;

namespace PgHa.Tests.Fixtures;

/// <summary>One member of an EtcdCluster: its address, ports, data directory and (while started) its process.</summary>
internal sealed class EtcdClusterMember
{
    internal EtcdClusterMember(string name, string address, int clientPort, int peerPort, string dataDirectory, bool tls)
    {
        Name = name;
        Address = address;
        ClientUrl = $"{(tls ? "https" : "http")}://{address}:{clientPort}";
        PeerUrl = $"http://{address}:{peerPort}";
        DataDirectory = dataDirectory;
        LogFile = dataDirectory + ".log";
    }

    public string Name { get; }

    public string Address { get; }

    public string ClientUrl { get; }

    public string PeerUrl { get; }

    public string DataDirectory { get; }

    public string LogFile { get; }

    public Process? Process { get; internal set; }

    public bool Running => Process is { HasExited: false };

    public override string ToString() => $"{Name} {ClientUrl}";
}
