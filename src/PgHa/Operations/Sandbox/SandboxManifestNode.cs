namespace PgHa.Operations.Sandbox;

/// <summary>One server as recorded in pgha-sandbox.json.</summary>
internal sealed class SandboxManifestNode
{
    public string Name { get; set; } = string.Empty;

    public string Role { get; set; } = string.Empty;

    public string Address { get; set; } = string.Empty;

    public int Port { get; set; }

    public string DataDirectory { get; set; } = string.Empty;
}
