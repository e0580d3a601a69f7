namespace PgHa.Transport;

/// <summary>
/// File access built on <see cref="INodeTransport.RunAsync"/> with standard tools (cat, test, sh, mv),
/// so both transports read and write as the PostgreSQL OS user and need nothing on the node beyond
/// a POSIX shell: no SFTP subsystem, no second connection.
/// </summary>
internal static class NodeFileCommands
{
    private static readonly TimeSpan FileTimeout = TimeSpan.FromSeconds(60);

    // A fixed script; the path arrives as $1, so it is never parsed by the shell. umask 077 gives
    // the temporary file mode 0600 from its creation; mv within one directory is a rename(2), so a
    // reader sees the old file or the new one, never half of it.
    private const string WriteScript =
        "umask 077; tmp=\"$1.pgha-tmp.$$\"; " +
        "if cat > \"$tmp\" && mv -f -- \"$tmp\" \"$1\"; then exit 0; fi; " +
        "rm -f -- \"$tmp\"; exit 1";

    public static async Task<string?> ReadAsync(INodeTransport transport, string path, CancellationToken cancellationToken)
    {
        var read = await transport.RunAsync("cat", new[] { "--", path }, new CommandOptions { Timeout = FileTimeout }, cancellationToken);
        if (read.Succeeded)
        {
            return read.StandardOutput;
        }
        // Only now ask why: a missing file is an answer (null); anything else (permissions, a
        // directory) is an error the caller must see.
        if (!await ExistsAsync(transport, path, cancellationToken))
        {
            return null;
        }
        throw new IOException($"Cannot read {path} on {transport.Description}: {read.StandardError.Trim()}");
    }

    public static async Task WriteAsync(INodeTransport transport, string path, string content, CancellationToken cancellationToken)
    {
        var write = await transport.RunAsync("sh", new[] { "-c", WriteScript, "pgha-write", path },
            new CommandOptions { Timeout = FileTimeout, StandardInput = content }, cancellationToken);
        if (!write.Succeeded)
        {
            throw new IOException($"Cannot write {path} on {transport.Description}: {write.StandardError.Trim()}");
        }
    }

    public static async Task<bool> ExistsAsync(INodeTransport transport, string path, CancellationToken cancellationToken)
    {
        var test = await transport.RunAsync("test", new[] { "-e", path }, new CommandOptions { Timeout = FileTimeout }, cancellationToken);
        return test.ExitCode switch
        {
            0 => true,
            1 => false,
            _ => throw new IOException($"Cannot check {path} on {transport.Description}: {test.StandardError.Trim()}"),
        };
    }
}
