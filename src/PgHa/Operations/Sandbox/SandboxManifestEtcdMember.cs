namespace PgHa.Operations.Sandbox;

/// <summary>One etcd member of a sandbox (New-PgHaSandbox -Etcd) as recorded in pgha-sandbox.json; Pid once it started.</summary>
internal sealed class SandboxManifestEtcdMember
{
    public string Name { get; set; } = string.Empty;

    public string Address { get; set; } = string.Empty;

    public int ClientPort { get; set; }

    public int PeerPort { get; set; }

    public string DataDirectory { get; set; } = string.Empty;

    public string LogFile { get; set; } = string.Empty;

    /// <summary>The member's process id, written as soon as it started; Remove-PgHaSandbox stops it by this id.</summary>
    public int? Pid { get; set; }

    public string ClientUrl => $"http://{Address}:{ClientPort}";

    public string PeerUrl => $"http://{Address}:{PeerPort}";
}
