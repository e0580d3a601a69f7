namespace PgHa.Tests.Fixtures;

/// <summary>
/// Scratch directories for servers under /tmp/pgha-tests. The root is world-writable with the sticky
/// bit, like /tmp, because tests run as root but the servers run as postgres.
/// </summary>
public static class TestDirectories
{
    public const string Root = "/tmp/pgha-tests";

    /// <summary>A new directory named after the node, unique per call, owned by the given OS user.</summary>
    public static async Task<string> CreateAsync(string name, string? owner, CancellationToken cancellationToken = default)
    {
        EnsureRoot();
        var path = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);
        Directory.CreateDirectory(path);
        // Fixtures run on Linux only; the guard tells the platform analyzer so.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        if (owner is not null && Environment.IsPrivilegedProcess)
        {
            await FixtureCommand.RunCheckedAsync("chown", new[] { $"{owner}:{owner}", path }, cancellationToken);
        }
        return path;
    }

    /// <summary>Best effort: a directory that cannot be removed must not hide the test's own failure.</summary>
    public static void Delete(string path)
    {
        if (!path.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Refusing to delete {path}: not under {Root}.", nameof(path));
        }
        for (var attempt = 0; attempt < 3 && Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                // A server that was just killed may still be removing its files; try again.
            }
        }
    }

    private static void EnsureRoot()
    {
        if (Directory.Exists(Root))
        {
            return;
        }
        Directory.CreateDirectory(Root);
        // Fixtures run on Linux only; the guard tells the platform analyzer so.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Root, (UnixFileMode)Convert.ToInt32("1777", 8));
        }
    }
}
