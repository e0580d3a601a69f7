using System.Net;

namespace PgHa.Operations.Sandbox;

/// <summary>What New-PgHaSandbox was asked for.</summary>
internal sealed record SandboxRequest(string Path, int StandbyCount, bool Witness, IPAddress FirstAddress, int Port, string PgBinDir);
