namespace PgHa.Transport;

/// <summary>
/// File access built on <see cref="INodeTransport.RunAsync"/> with fixed sh scripts (the path is $1),
/// so both transports read and write as the PostgreSQL OS user and need nothing on the node beyond
/// a POSIX shell: no SFTP subsystem, no second connection.
/// </summary>
internal static class NodeFileCommands
{
    private static readonly TimeSpan FileTimeout = TimeSpan.FromSeconds(60);

    // Exit code the scripts below use for "the file does not exist" (cat and test use 1 for errors);
    // "exit 3" in AbsentOrDenied must match it.
    private const int Absent = 3;

    // "Absent" only when the directory could be searched: a file in a directory the OS user cannot
    // enter might well exist, and calling it absent would mislead a check such as "standby.signal?".
    private const string AbsentOrDenied =
        "d=$(dirname -- \"$1\"); " +
        "if [ -d \"$d\" ] && [ ! -x \"$d\" ]; then echo \"cannot search $d: permission denied\" >&2; exit 2; fi; " +
        "exit 3";

    private const string ReadScript = "if [ -e \"$1\" ]; then exec cat -- \"$1\"; fi; " + AbsentOrDenied;

    private const string ExistsScript = "if [ -e \"$1\" ]; then exit 0; fi; " + AbsentOrDenied;

    // The path arrives as $1, so it is never parsed by the shell. umask 077 gives
    // the temporary file mode 0600 from its creation; mv within one directory is a rename(2), so a
    // reader sees the old file or the new one, never half of it. The file is fsynced before the rename
    // and the directory after it (coreutils sync with operands fsyncs each): standby.signal and
    // postgresql.auto.conf must survive a power cut that follows their writing, or a fenced primary
    // could boot writable.
    private const string WriteScript =
        "umask 077; tmp=\"$1.pgha-tmp.$$\"; " +
        "if cat > \"$tmp\" && sync -- \"$tmp\" && mv -f -- \"$tmp\" \"$1\" && sync -- \"$(dirname -- \"$1\")\"; then exit 0; fi; " +
        "rm -f -- \"$tmp\"; exit 1";

    public static async Task<string?> ReadAsync(INodeTransport transport, string path, CancellationToken cancellationToken)
    {
        var read = await transport.RunAsync("sh", new[] { "-c", ReadScript, "pgha-read", path }, new CommandOptions { Timeout = FileTimeout }, cancellationToken);
        return read.ExitCode switch
        {
            0 => read.StandardOutput,
            Absent => null,
            _ => throw new IOException($"Cannot read {path} on {transport.Description}: {read.StandardError.Trim()}"),
        };
    }

    // An empty file (standby.signal) is made without stdin: SSH.NET sends no EOF for an input stream
    // that was never written to, so `cat` would wait for one until the timeout.
    private const string WriteEmptyScript =
        "umask 077; tmp=\"$1.pgha-tmp.$$\"; " +
        "if : > \"$tmp\" && sync -- \"$tmp\" && mv -f -- \"$tmp\" \"$1\" && sync -- \"$(dirname -- \"$1\")\"; then exit 0; fi; " +
        "rm -f -- \"$tmp\"; exit 1";

    public static async Task WriteAsync(INodeTransport transport, string path, string content, CancellationToken cancellationToken)
    {
        var write = content.Length == 0
            ? await transport.RunAsync("sh", new[] { "-c", WriteEmptyScript, "pgha-write", path }, new CommandOptions { Timeout = FileTimeout }, cancellationToken)
            : await transport.RunAsync("sh", new[] { "-c", WriteScript, "pgha-write", path },
                new CommandOptions { Timeout = FileTimeout, StandardInput = content }, cancellationToken);
        if (!write.Succeeded)
        {
            throw new IOException($"Cannot write {path} on {transport.Description}: {write.StandardError.Trim()}");
        }
    }

    // A standby's two files in one program (each start of a program as the PostgreSQL OS user costs tens of ms):
    // $1 the data directory, postgresql.auto.conf from stdin, standby.signal empty; each through a temporary file
    // fsynced before its rename, the directory fsynced after both; then $2, when given (a file name in the
    // directory), removed and the directory fsynced again, so that it goes only once both are durable.
    private const string WriteStandbyScript =
        "umask 077; conf=\"$1/postgresql.auto.conf\"; sig=\"$1/standby.signal\"; tmp=\"$conf.pgha-tmp.$$\"; stmp=\"$sig.pgha-tmp.$$\"; " +
        "if cat > \"$tmp\" && : > \"$stmp\" && sync -- \"$tmp\" \"$stmp\" && mv -f -- \"$tmp\" \"$conf\" && mv -f -- \"$stmp\" \"$sig\" && sync -- \"$1\"; then " +
        "if [ -z \"$2\" ]; then exit 0; fi; rm -f -- \"$1/$2\" && sync -- \"$1\" && exit 0; exit 4; fi; " +
        "rm -f -- \"$tmp\" \"$stmp\"; exit 1";

    /// <summary>
    /// Writes postgresql.auto.conf (<paramref name="autoConf"/>, not empty) and an empty standby.signal into
    /// <paramref name="dataDirectory"/>, durably, in one program; then removes <paramref name="thenRemove"/> from it.
    /// </summary>
    public static async Task WriteStandbyFilesAsync(INodeTransport transport, string dataDirectory, string autoConf, string? thenRemove, CancellationToken cancellationToken)
    {
        if (autoConf.Length == 0 || thenRemove is { } name && (name.Length == 0 || name.Contains('/', StringComparison.Ordinal)))
        {
            throw new ArgumentException("postgresql.auto.conf must not be empty, and the file to remove must be a name in the directory.");
        }
        var write = await transport.RunAsync("sh", new[] { "-c", WriteStandbyScript, "pgha-standby-files", dataDirectory, thenRemove ?? string.Empty },
            new CommandOptions { Timeout = FileTimeout, StandardInput = autoConf }, cancellationToken);
        if (write.ExitCode == MarkerNotRemoved)
        {
            throw new IOException($"postgresql.auto.conf and standby.signal are written in {dataDirectory} on {transport.Description}, but {thenRemove} could not be removed: {write.StandardError.Trim()}");
        }
        if (!write.Succeeded)
        {
            throw new IOException($"Cannot write postgresql.auto.conf and standby.signal in {dataDirectory} on {transport.Description}: {write.StandardError.Trim()}");
        }
    }

    // WriteStandbyScript's exit code when both files are durable and only the removal failed ("exit 4" there).
    private const int MarkerNotRemoved = 4;

    public static async Task<bool> ExistsAsync(INodeTransport transport, string path, CancellationToken cancellationToken)
    {
        var test = await transport.RunAsync("sh", new[] { "-c", ExistsScript, "pgha-exists", path }, new CommandOptions { Timeout = FileTimeout }, cancellationToken);
        return test.ExitCode switch
        {
            0 => true,
            Absent => false,
            _ => throw new IOException($"Cannot check {path} on {transport.Description}: {test.StandardError.Trim()}"),
        };
    }
}
