namespace PgHa;

/// <summary>
/// A throwaway cluster on loopback made by New-PgHaSandbox. <see cref="Conninfo"/> binds to -Conninfo of the
/// other cmdlets by property name, so `New-PgHaSandbox | Get-PgHaCluster` works.
/// </summary>
public sealed class PgHaSandbox
{
    /// <summary>The folder holding everything the sandbox made; Remove-PgHaSandbox deletes it.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>The primary's conninfo: the way into the cluster.</summary>
    public string Conninfo { get; init; } = string.Empty;

    public string Primary { get; init; } = string.Empty;

    /// <summary>The cluster secret made for the sandbox's monitors (mode 0600): give it to Start-PgHaMonitor, Suspend- and Resume-PgHaMonitor as -SecretFile.</summary>
    public string SecretFile { get; init; } = string.Empty;

    public PgHaSandboxNode[] Nodes { get; init; } = [];

    /// <summary>With -Etcd: the client URLs of the sandbox's 3-member etcd, which decides its elections; empty otherwise.</summary>
    public string[] EtcdEndpoints { get; init; } = [];

    /// <summary>How long creating the sandbox took.</summary>
    public TimeSpan Duration { get; init; }

    public override string ToString() => Path;
}
