using PgHa.Core;

namespace PgHa.Operations.Host;

/// <summary>
/// A node as its operating system sees it: where its data directory and PostgreSQL programs are, and
/// how PgHa reaches its host (SSH host, or this machine when <see cref="SshHost"/> is null).
/// </summary>
internal sealed record NodeHost(
    string Name,
    string DataDirectory,
    string? PgBinDir = null,
    string? SshHost = null,
    int? SshPort = null,
    string? SshUser = null)
{
    /// <summary>Where pg_ctl sends the server's output: beside the data directory, so clones and pg_rewind never copy it.</summary>
    public string DefaultLogFile => DataDirectory.TrimEnd('/') + ".log";

    public Task<Transport.INodeTransport> OpenAsync(OperationContext context) =>
        NodeAccess.OpenAsync(context, Name, SshHost, SshPort, SshUser);

    public static NodeHost Of(PgHaNode node) =>
        new(node.Name, RequireDataDirectory(node.Name, node.DataDirectory), node.PgBinDir, node.SshHost, node.SshPort, node.SshUser);

    public static NodeHost Of(Metadata.NodeRecord node) =>
        new(node.Name, RequireDataDirectory(node.Name, node.DataDirectory), node.PgBinDir, node.SshHost, node.SshPort, node.SshUser);

    private static string RequireDataDirectory(string name, string? dataDirectory) =>
        dataDirectory ?? throw new PgHaException(PgHaErrorIds.DataDirectoryUnknown, name,
            $"The record of '{name}' has no data directory. Register it again with -DataDirectory (and -Force), or give -DataDirectory.");
}
