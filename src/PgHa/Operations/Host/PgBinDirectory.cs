using PgHa.Core;
using PgHa.Transport;

namespace PgHa.Operations.Host;

/// <summary>
/// Where a node's PostgreSQL programs are: the recorded or given directory, else Debian's layout for
/// the data directory's major version (/usr/lib/postgresql/&lt;major&gt;/bin), checked to exist.
/// </summary>
internal static class PgBinDirectory
{
    public static string ForMajorVersion(int major) => $"/usr/lib/postgresql/{major}/bin";

    public static async Task<string> ResolveAsync(INodeTransport host, string? explicitBinDir, string dataDirectory, CancellationToken ct)
    {
        string binDir;
        if (!string.IsNullOrEmpty(explicitBinDir))
        {
            binDir = explicitBinDir.TrimEnd('/');
        }
        else
        {
            string? version = await host.ReadFileAsync(dataDirectory.TrimEnd('/') + "/PG_VERSION", ct).ConfigureAwait(false);
            if (version is null || !int.TryParse(version.Trim(), out int major))
            {
                throw new PgHaException(PgHaErrorIds.DataDirectoryNotFound, dataDirectory,
                    $"There is no PostgreSQL data directory at {MessageText.Quote(dataDirectory)} on {host.Description} (no readable PG_VERSION). Give the node's real data directory.");
            }
            binDir = ForMajorVersion(major);
        }
        return await RequireProgramAsync(host, binDir, "pg_ctl", ct).ConfigureAwait(false);
    }

    /// <summary>Returns <paramref name="binDir"/> when it holds <paramref name="program"/>; a clear error otherwise.</summary>
    public static async Task<string> RequireProgramAsync(INodeTransport host, string binDir, string program, CancellationToken ct)
    {
        if (!await host.PathExistsAsync(binDir + "/" + program, ct).ConfigureAwait(false))
        {
            throw new PgHaException(PgHaErrorIds.ProgramNotFound, binDir,
                $"{program} is not in {MessageText.Quote(binDir)} on {host.Description}. Install the PostgreSQL server package there, or give the right -PgBinDir.");
        }
        return binDir;
    }
}
