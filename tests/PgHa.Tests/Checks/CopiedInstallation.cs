using PgHa.Tests.Fixtures;

namespace PgHa.Tests.Checks;

/// <summary>
/// A second PostgreSQL installation on the same machine: a copy of the programs, libraries and share files
/// (Debian's /usr/lib/postgresql/15/{bin,lib} and /usr/share/postgresql/15) at the same paths below a
/// directory of its own. PostgreSQL finds its share and lib directories relative to the binary it runs from
/// (the bin-to-share path of the build, ../../../share/postgresql/15, applied to where postgres really is),
/// so a server started from the copy reads the copy's extension files: what a node whose packages differ
/// from the others' looks like, while the test servers otherwise share one installation. Disposing deletes it.
/// </summary>
public sealed class CopiedInstallation : IAsyncDisposable
{
    private CopiedInstallation(string root, string binDirectory, string shareDirectory)
    {
        Root = root;
        BinDirectory = binDirectory;
        ShareDirectory = shareDirectory;
    }

    public string Root { get; }

    public string BinDirectory { get; }

    /// <summary>The copy's share directory, where its extension/*.control files are.</summary>
    public string ShareDirectory { get; }

    public string ExtensionDirectory => Path.Combine(ShareDirectory, "extension");

    /// <summary>
    /// Copies the installation of <see cref="PostgresServer.BinDirectory"/> (as pg_config names its parts). The
    /// LLVM bitcode (lib/bitcode, only for JIT) is left out: it is most of the size and nothing here JIT-compiles.
    /// </summary>
    public static async Task<CopiedInstallation> CreateAsync(string name)
    {
        var config = await FixtureCommand.RunCheckedAsync(Path.Combine(PostgresServer.BinDirectory, "pg_config"), ["--bindir", "--pkglibdir", "--sharedir"]);
        string[] parts = config.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        (string bin, string lib, string share) = (parts[0], parts[1], parts[2]);
        string root = await TestDirectories.CreateAsync(name, owner: null);
        var copy = new CopiedInstallation(root, root + bin, root + share);
        try
        {
            const string Script = """
                set -e
                root=$1; bin=$2; lib=$3; share=$4
                mkdir -p "$root$bin" "$root$lib" "$root$share"
                cp -a "$bin/." "$root$bin/"
                find "$lib" -maxdepth 1 -type f -exec cp -a -t "$root$lib/" {} +
                cp -a "$share/." "$root$share/"
                """;
            await FixtureCommand.RunCheckedAsync("sh", ["-c", Script, "sh", root, bin, lib, share]);
            return copy;
        }
        catch
        {
            await copy.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the copy's own pg_config takes for its share directory (the copy's, when relocation works).</summary>
    public async Task<string> ReportedShareDirectoryAsync()
    {
        var result = await FixtureCommand.RunCheckedAsync(Path.Combine(BinDirectory, "pg_config"), ["--sharedir"]);
        return result.StandardOutput.Trim();
    }

    /// <summary>Starts <paramref name="server"/> (stopped) with this installation's pg_ctl, hence its postgres.</summary>
    public async Task StartAsync(PostgresServer server)
    {
        var start = await FixtureCommand.RunAsPostgresAsync(Path.Combine(BinDirectory, "pg_ctl"),
            ["-D", server.DataDirectory, "-l", server.LogFile, "-w", "-t", "60", "start"], timeout: TimeSpan.FromSeconds(65));
        if (!start.Succeeded)
        {
            throw new InvalidOperationException($"{server.Name} did not start from {BinDirectory}: {start.Describe()}\nserver log:\n{server.LogTail()}");
        }
    }

    public ValueTask DisposeAsync()
    {
        TestDirectories.Delete(Root);
        return ValueTask.CompletedTask;
    }
}
