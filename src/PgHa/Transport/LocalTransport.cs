using System.Diagnostics;
using System.Text;

namespace PgHa.Transport;

/// <summary>
/// Runs programs on this machine, without a shell. When PgHa runs as root (an Ansible task, a
/// scheduled job), programs and file access go through setpriv (runuser for pg_ctl start) as the PostgreSQL
/// OS user, since PostgreSQL's tools refuse root and files must stay owned by that user.
/// </summary>
public sealed class LocalTransport : INodeTransport
{
    public const string DefaultOsUser = "postgres";

    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(2);

    /// <summary>setpriv's path (util-linux, like runuser), or null on a host without it: runuser then does it all.</summary>
    private static readonly Lazy<string?> Setpriv = new(() => new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists));

    private readonly bool _switchUser;

    public LocalTransport(string osUser = DefaultOsUser)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(osUser);
        OsUser = osUser;
        _switchUser = Environment.IsPrivilegedProcess && osUser != Environment.UserName;
    }

    /// <summary>The OS user programs run as when PgHa itself runs as root.</summary>
    public string OsUser { get; }

    public string Description => _switchUser ? $"local (as {OsUser})" : "local";

    public async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, CommandOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(arguments);
        options ??= new CommandOptions();

        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            // The OS user may not be allowed into the caller's directory (often /root), and
            // PostgreSQL's tools complain when they cannot return to it.
            WorkingDirectory = "/",
        };
        if (_switchUser)
        {
            startInfo.FileName = SwitchUserPrefix(program, options.StartsServer, out var prefixArguments);
            foreach (var prefix in prefixArguments)
            {
                startInfo.ArgumentList.Add(prefix);
            }
        }
        else
        {
            startInfo.FileName = program;
        }
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException($"Cannot start {program} ({Description}): {exception.Message}", exception);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Timeout is { } timeout)
        {
            deadline.CancelAfter(timeout);
        }

        var collector = new CommandOutputCollector(options.OnOutputLine);
        var drainOutput = collector.DrainAsync(process.StandardOutput.BaseStream, CommandOutputStream.StandardOutput, CancellationToken.None);
        var drainError = collector.DrainAsync(process.StandardError.BaseStream, CommandOutputStream.StandardError, CancellationToken.None);
        try
        {
            await WriteStandardInputAsync(process, options.StandardInput, deadline.Token);
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            StopProcessTree(process);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{program} did not finish within {options.Timeout} ({Description}); it was stopped.");
        }
        // The pipes close when the program and everything it started have let go of them. A daemon
        // that inherited them (pg_ctl start without -l) would hold them forever: its output is not
        // worth hanging for, so after a short grace the result takes what has arrived.
        await Task.WhenAny(Task.WhenAll(drainOutput, drainError), Task.Delay(OutputGrace, CancellationToken.None));
        return new CommandResult(process.ExitCode, collector.StandardOutput, collector.StandardError, clock.Elapsed);
    }

    /// <summary>
    /// How root starts <paramref name="program"/> as the OS user. setpriv (util-linux, as runuser) with the user's
    /// ids and groups and, through env, the HOME, USER and LOGNAME runuser -u sets (it leaves SHELL as it is): it
    /// opens no PAM session, and took half of runuser's time to start (20-40 ms against 40-85 ms on a busy 2-core
    /// host; a clone's checks start a dozen programs). runuser for a program that starts a server (pg_ctl start),
    /// so that its session applies the user's limits.conf to the server and revokes the caller's session keyring
    /// (pam_keyinit) for it, and whenever setpriv or the account cannot be found. The short-lived programs started
    /// with setpriv keep the caller's resource limits and session keyring.
    /// </summary>
    private string SwitchUserPrefix(string program, bool startsServer, out IReadOnlyList<string> arguments)
    {
        if (!startsServer && !program.Contains('=') && Setpriv.Value is { } setpriv && OsAccount.Find(OsUser) is { } account)
        {
            arguments =
            [
                $"--reuid={account.Uid}", $"--regid={account.Gid}", "--init-groups", "--",
                "env", $"HOME={account.Home}", $"USER={account.Name}", $"LOGNAME={account.Name}", program,
            ];
            return setpriv;
        }
        arguments = ["-u", OsUser, "--", program];
        return "runuser";
    }

    /// <summary>
    /// Read in-process when PgHa runs as the PostgreSQL OS user (the same permissions, and a monitor reads a
    /// few files every round, where a process each time would cost more than the check); as root through
    /// runuser, so that what this user may not read stays unreadable.
    /// </summary>
    public Task<string?> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        if (_switchUser)
        {
            return NodeFileCommands.ReadAsync(this, path, cancellationToken);
        }
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return Task.FromResult<string?>(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<string?>(null);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IOException($"Cannot read {path} on {Description}: {ex.Message}", ex);
        }
    }

    public Task WriteFileAsync(string path, string content, CancellationToken cancellationToken) =>
        NodeFileCommands.WriteAsync(this, path, content, cancellationToken);

    public Task<bool> PathExistsAsync(string path, CancellationToken cancellationToken) =>
        NodeFileCommands.ExistsAsync(this, path, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public override string ToString() => Description;

    private static async Task WriteStandardInputAsync(Process process, string? text, CancellationToken cancellationToken)
    {
        try
        {
            if (text is not null)
            {
                await process.StandardInput.WriteAsync(text.AsMemory(), cancellationToken);
                await process.StandardInput.FlushAsync(cancellationToken);
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading all its input; its exit code tells the story.
        }
    }

    private static void StopProcessTree(Process process)
    {
        try
        {
            // runuser forks the real program; killing only runuser would leave it running (setpriv and env exec it).
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
