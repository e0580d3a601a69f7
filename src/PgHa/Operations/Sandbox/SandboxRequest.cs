using System.Net;

namespace PgHa.Operations.Sandbox;

/// <summary>What New-PgHaSandbox was asked for; EtcdBinary set: a 3-member etcd beside the nodes decides elections.</summary>
internal sealed record SandboxRequest(string Path, int StandbyCount, bool Witness, IPAddress FirstAddress, int Port, string PgBinDir, string? EtcdBinary = null);
