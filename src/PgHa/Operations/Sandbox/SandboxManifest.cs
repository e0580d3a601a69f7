using System.Text.Json;

namespace PgHa.Operations.Sandbox;

/// <summary>
/// pgha-sandbox.json in the sandbox folder: written before any server is made, so Remove-PgHaSandbox
/// knows exactly what to stop and refuses folders it did not make.
/// </summary>
internal sealed class SandboxManifest
{
    public const string FileName = "pgha-sandbox.json";
    public const string Creator = "New-PgHaSandbox";

    public string CreatedBy { get; set; } = Creator;

    public string PgBinDir { get; set; } = string.Empty;

    public List<SandboxManifestNode> Nodes { get; set; } = [];

    /// <summary>The etcd members New-PgHaSandbox -Etcd started beside the nodes; empty without -Etcd.</summary>
    public List<SandboxManifestEtcdMember> Etcd { get; set; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true, IgnoreReadOnlyProperties = true });

    public static SandboxManifest? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SandboxManifest>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
