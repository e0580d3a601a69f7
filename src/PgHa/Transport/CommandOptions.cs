namespace PgHa.Transport;

/// <summary>Optional settings for <see cref="INodeTransport.RunAsync"/>.</summary>
public sealed class CommandOptions
{
    /// <summary>Stop waiting (and try to stop the program) after this long; null waits indefinitely.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Called for each line of standard output or error as it arrives (a line ends at \n or \r, so
    /// pg_basebackup's \r progress updates arrive one by one). Calls come from a background thread,
    /// one at a time. The full text is still returned in the <see cref="CommandResult"/>.
    /// </summary>
    public Action<CommandOutputLine>? OnOutputLine { get; init; }

    /// <summary>Text written to the program's standard input (UTF-8), which is then closed.</summary>
    public string? StandardInput { get; init; }

    /// <summary>
    /// The program starts a server that outlives it (pg_ctl start). Run by root for the PostgreSQL OS user, it then
    /// goes through runuser, whose PAM session gives that server the user's limits (limits.conf), as su or a
    /// service manager would; every other program is started with setpriv, which opens no session and starts in
    /// half the time.
    /// </summary>
    public bool StartsServer { get; init; }
}
