using System.Diagnostics;
using PgHa.Core;
using PgHa.Operations.Host;
using PgHa.Transport;

namespace PgHa.Operations.Service;

/// <summary>
/// Starts, stops and restarts a node's server with pg_ctl on the node's host (local or over SSH), waits
/// for the new state with a deadline, and reports what happened. Used by the Start/Stop/Restart-PgHaNode
/// cmdlets and by the operations that need a server up or down (clone, sandbox).
/// </summary>
internal static class NodeService
{
    /// <summary>Written by New-PgHaStandby before copying and removed when the clone is complete.</summary>
    public const string CloneIncompleteMarker = DirectoryGuard.CloneIncompleteMarker;

    private const int LogTailLines = 20;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan QuickCommandTimeout = TimeSpan.FromSeconds(30);

    public static async Task<PgHaNodeServiceResult> StartAsync(OperationContext context, NodeHost node, string? logFile, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        await using INodeTransport host = await node.OpenAsync(context).ConfigureAwait(false);
        string binDir = await PgBinDirectory.ResolveAsync(host, node.PgBinDir, node.DataDirectory, context.CancellationToken).ConfigureAwait(false);
        string log = logFile ?? node.DefaultLogFile;
        NodeRunState before = await ReadRunStateAsync(context, host, binDir, node, withControlData: false).ConfigureAwait(false);
        if (before.IsRunning)
        {
            context.Reporter.Verbose($"{node.Name}'s server already runs (pid {before.Pid}); nothing to start.");
            return Result(node, PgHaServiceAction.Start, null, before, before, changed: false, clock.Elapsed, log);
        }
        NodeRunState after = await StartStoppedAsync(context, host, binDir, node, log, wait).ConfigureAwait(false);
        return Result(node, PgHaServiceAction.Start, null, before, after, changed: true, clock.Elapsed, log);
    }

    public static async Task<PgHaNodeServiceResult> StopAsync(OperationContext context, NodeHost node, PgHaStopMode mode, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        await using INodeTransport host = await node.OpenAsync(context).ConfigureAwait(false);
        string binDir = await PgBinDirectory.ResolveAsync(host, node.PgBinDir, node.DataDirectory, context.CancellationToken).ConfigureAwait(false);
        NodeRunState before = await ReadRunStateAsync(context, host, binDir, node, withControlData: false).ConfigureAwait(false);
        if (!before.IsRunning)
        {
            context.Reporter.Verbose($"{node.Name}'s server is not running; nothing to stop.");
            return Result(node, PgHaServiceAction.Stop, mode, before, before, changed: false, clock.Elapsed, null);
        }
        NodeRunState after = await StopRunningAsync(context, host, binDir, node, mode, wait).ConfigureAwait(false);
        return Result(node, PgHaServiceAction.Stop, mode, before, after, changed: true, clock.Elapsed, null);
    }

    /// <summary>
    /// Stops a server the caller knows to run (it has just talked to it) as fast as it can be observed, and
    /// returns what pg_control says afterwards (null when pg_controldata cannot read it): no status check
    /// before or after, one command on the host that signals, watches postmaster.pid every 10 ms and reads
    /// pg_control (<see cref="PgCtlCommand.StopAndReadControlScript"/>). The switchover's old primary is
    /// stopped this way, since no write can be made until it is down. Throws PgHaNodeStopFailed when
    /// pg_ctl refused (the server was not asked to stop), PgHaNodeStopTimeout when it still ran at the
    /// deadline (its shutdown goes on and cannot be called off; a second call waits for it, and asking again
    /// does no harm: a server already shutting down ignores the same request).
    /// </summary>
    public static async Task<PgControlData?> StopAndReadControlDataAsync(OperationContext context, INodeTransport host, NodeHost node, string binDir, PgHaStopMode mode, TimeSpan wait)
    {
        string modeName = PgCtlCommand.ModeArgument(mode);
        context.Reporter.Verbose($"Stopping {node.Name}'s server on {host.Description}: {binDir}/pg_ctl stop -D '{node.DataDirectory}' -m {modeName} -W, watching postmaster.pid for up to {PgCtlCommand.WaitSeconds(wait)} s, then pg_controldata.");
        CommandResult result;
        try
        {
            result = await host.RunAsync("sh", PgCtlCommand.StopAndReadControl(binDir, node.DataDirectory, mode, wait),
                new CommandOptions { Timeout = TimeSpan.FromSeconds(PgCtlCommand.WaitSeconds(wait)) + PgCtlCommand.TransportGrace }, context.CancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new PgHaException(PgHaErrorIds.NodeStopTimeout, node.Name,
                $"Stopping {node.Name}'s server on {host.Description} did not return ({ex.Message}); it may still be shutting down.", ex);
        }
        switch (result.ExitCode)
        {
            case 0:
                context.Reporter.Verbose($"{node.Name}'s server is stopped.");
                break;
            case PgCtlCommand.StopRefused:
                throw new PgHaException(PgHaErrorIds.NodeStopFailed, node.Name,
                    $"pg_ctl stop for {node.Name} on {host.Description} failed, so the server was not asked to stop: {result.StandardError.Trim()}");
            case PgCtlCommand.StopStillRunning:
                throw new PgHaException(PgHaErrorIds.NodeStopTimeout, node.Name,
                    $"{node.Name}'s server did not stop within {PgCtlCommand.WaitSeconds(wait)} s in {modeName} mode; its shutdown goes on (a long checkpoint, or a walsender that cannot hand its last WAL to a standby).");
            default:
                context.Reporter.Verbose($"{node.Name}'s server is stopped, but pg_controldata could not read its pg_control: {result.StandardError.Trim()}");
                return null;
        }
        return ParseControlData(context, node, result.StandardOutput);
    }

    /// <summary>
    /// Stops the server (when it runs) and starts it again, each step with its own <paramref name="wait"/>.
    /// A stopped server is simply started, as pg_ctl restart does. Done as stop + start rather than
    /// pg_ctl restart so the start gets the same checks, -l log file and error report as Start.
    /// </summary>
    public static async Task<PgHaNodeServiceResult> RestartAsync(OperationContext context, NodeHost node, PgHaStopMode mode, string? logFile, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        await using INodeTransport host = await node.OpenAsync(context).ConfigureAwait(false);
        string binDir = await PgBinDirectory.ResolveAsync(host, node.PgBinDir, node.DataDirectory, context.CancellationToken).ConfigureAwait(false);
        string log = logFile ?? node.DefaultLogFile;
        NodeRunState before = await ReadRunStateAsync(context, host, binDir, node, withControlData: false).ConfigureAwait(false);
        if (before.IsRunning)
        {
            await StopRunningAsync(context, host, binDir, node, mode, wait).ConfigureAwait(false);
        }
        else
        {
            context.Reporter.Verbose($"{node.Name}'s server is not running; starting it.");
        }
        NodeRunState after = await StartStoppedAsync(context, host, binDir, node, log, wait).ConfigureAwait(false);
        return Result(node, PgHaServiceAction.Restart, mode, before, after, changed: true, clock.Elapsed, log);
    }

    /// <summary>
    /// Whether the server runs, from postmaster.pid and /proc alone (what pg_ctl status looks at, without
    /// starting pg_ctl): the quick check a monitor makes every round. A postmaster that died and waits to be
    /// reaped, or a pid now used by another program, is not a running server.
    /// </summary>
    public static async Task<NodeRunState> GetRunningAsync(OperationContext context, NodeHost node)
    {
        CancellationToken ct = context.CancellationToken;
        await using INodeTransport host = await node.OpenAsync(context).ConfigureAwait(false);
        string? pidFile = await host.ReadFileAsync(node.DataDirectory.TrimEnd('/') + "/postmaster.pid", ct).ConfigureAwait(false);
        if (PgCtlCommand.PostmasterPid(pidFile, string.Empty) is not { } pid)
        {
            return new NodeRunState(false, null, null);
        }
        string? stat;
        try
        {
            stat = await host.ReadFileAsync($"/proc/{pid}/stat", ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            if (await host.PathExistsAsync($"/proc/{pid}", ct).ConfigureAwait(false))
            {
                throw;
            }
            // The process ended between the open and the read ("No such process"): it does not run. Seen right
            // after a kill -9, where the failed read cost the monitor a whole round before it fenced. A stat that
            // cannot be read for another reason (permissions) is still an error: a running server is never taken
            // for a stopped one.
            stat = null;
        }
        bool running = ProcessStat.IsLivePostgres(stat);
        return new NodeRunState(running, running ? pid : null, null);
    }

    /// <summary>Whether the server runs, its postmaster pid, and what pg_control says about the directory.</summary>
    public static async Task<NodeRunState> GetStateAsync(OperationContext context, NodeHost node)
    {
        await using INodeTransport host = await node.OpenAsync(context).ConfigureAwait(false);
        string binDir = await PgBinDirectory.ResolveAsync(host, node.PgBinDir, node.DataDirectory, context.CancellationToken).ConfigureAwait(false);
        return await ReadRunStateAsync(context, host, binDir, node, withControlData: true).ConfigureAwait(false);
    }

    /// <summary>Whether the server runs and its pid, on a host the caller has open and whose bindir it knows; pg_control only when asked.</summary>
    public static Task<NodeRunState> GetStateAsync(OperationContext context, INodeTransport host, NodeHost node, string binDir, bool withControlData) =>
        ReadRunStateAsync(context, host, binDir, node, withControlData);

    private static async Task<NodeRunState> StartStoppedAsync(OperationContext context, INodeTransport host, string binDir, NodeHost node, string logFile, TimeSpan wait)
    {
        CancellationToken ct = context.CancellationToken;
        string dataDirectory = node.DataDirectory.TrimEnd('/');
        if (await host.PathExistsAsync(dataDirectory + "/" + CloneIncompleteMarker, ct).ConfigureAwait(false))
        {
            throw new PgHaException(PgHaErrorIds.DataDirectoryIncomplete, node.Name,
                $"The data directory '{node.DataDirectory}' of {node.Name} holds {CloneIncompleteMarker}: the clone into it did not finish, so it must not be started. Rebuild it with New-PgHaStandby -Force.");
        }
        if (!await host.PathExistsAsync(dataDirectory + "/global/pg_control", ct).ConfigureAwait(false))
        {
            throw new PgHaException(PgHaErrorIds.DataDirectoryIncomplete, node.Name,
                $"The data directory '{node.DataDirectory}' of {node.Name} has no global/pg_control: it is not a complete PostgreSQL data directory. Rebuild it with New-PgHaStandby -Force, or give the right -DataDirectory.");
        }

        context.Reporter.Verbose($"Starting {node.Name}'s server on {host.Description}: {binDir}/pg_ctl start -D '{node.DataDirectory}' -l '{logFile}', waiting up to {PgCtlCommand.WaitSeconds(wait)} s.");
        CommandResult start;
        try
        {
            start = await RunWithProgressAsync(context, host, binDir + "/pg_ctl", PgCtlCommand.Start(node.DataDirectory, logFile, wait), wait,
                $"Starting {node.Name}", "Waiting for the server to accept connections", startsServer: true).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw await StartFailedAsync(context, host, node, logFile, $"pg_ctl start did not return within {PgCtlCommand.WaitSeconds(wait)} s ({ex.Message})").ConfigureAwait(false);
        }

        NodeRunState after = await ReadRunStateAsync(context, host, binDir, node, withControlData: false).ConfigureAwait(false);
        if (!start.Succeeded)
        {
            string why = after.IsRunning
                ? $"the server did not accept connections within {PgCtlCommand.WaitSeconds(wait)} s but is still starting (pid {after.Pid}), perhaps replaying WAL; wait longer (-Wait) or check it with Get-PgHaNode"
                : $"pg_ctl start failed with exit code {start.ExitCode}: {start.StandardError.Trim()}";
            throw await StartFailedAsync(context, host, node, logFile, why).ConfigureAwait(false);
        }
        if (!after.IsRunning)
        {
            // pg_ctl said ready but the server is gone again (it shut down right after starting).
            throw await StartFailedAsync(context, host, node, logFile, "pg_ctl start reported success but the server no longer runs").ConfigureAwait(false);
        }
        context.Reporter.Verbose($"{node.Name}'s server runs (pid {after.Pid}).");
        return after;
    }

    private static async Task<NodeRunState> StopRunningAsync(OperationContext context, INodeTransport host, string binDir, NodeHost node, PgHaStopMode mode, TimeSpan wait)
    {
        string modeName = PgCtlCommand.ModeArgument(mode);
        context.Reporter.Verbose($"Stopping {node.Name}'s server on {host.Description}: {binDir}/pg_ctl stop -D '{node.DataDirectory}' -m {modeName}, waiting up to {PgCtlCommand.WaitSeconds(wait)} s.");
        CommandResult stop;
        try
        {
            stop = await RunWithProgressAsync(context, host, binDir + "/pg_ctl", PgCtlCommand.Stop(node.DataDirectory, mode, wait), wait,
                $"Stopping {node.Name}", $"Waiting for the server to shut down ({modeName})").ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            stop = new CommandResult(-1, string.Empty, "pg_ctl stop did not return", TimeSpan.Zero);
        }

        NodeRunState after = await ReadRunStateAsync(context, host, binDir, node, withControlData: false).ConfigureAwait(false);
        if (after.IsRunning)
        {
            string hint = mode == PgHaStopMode.Immediate
                ? "Check the server log and the host; as a last resort kill the postmaster."
                : mode == PgHaStopMode.Smart
                    ? "Smart mode waits for every client to disconnect, and the shutdown goes on after this error. Stop it now with -Mode Fast (disconnects clients) or -Mode Immediate, or give more time with -Wait."
                    : "The shutdown goes on after this error (a long checkpoint?). Give more time with -Wait, or stop it now with -Mode Immediate (no checkpoint: the next start runs crash recovery).";
            throw new PgHaException(PgHaErrorIds.NodeStopTimeout, node.Name,
                $"{node.Name}'s server (pid {after.Pid}) did not stop within {PgCtlCommand.WaitSeconds(wait)} s in {modeName} mode. {hint}");
        }
        if (!stop.Succeeded)
        {
            // The server is down even though pg_ctl complained (it exited just before pg_ctl looked): say so, it is not an error.
            context.Reporter.Verbose($"pg_ctl stop exited with {stop.ExitCode} ({stop.StandardError.Trim()}), but the server is stopped.");
        }
        context.Reporter.Verbose($"{node.Name}'s server is stopped.");
        return after;
    }

    private static async Task<NodeRunState> ReadRunStateAsync(OperationContext context, INodeTransport host, string binDir, NodeHost node, bool withControlData)
    {
        CancellationToken ct = context.CancellationToken;
        context.Reporter.Verbose($"Checking whether {node.Name}'s server runs: pg_ctl status -D '{node.DataDirectory}' ({host.Description}).");
        CommandResult status = await host.RunAsync(binDir + "/pg_ctl", PgCtlCommand.Status(node.DataDirectory),
            new CommandOptions { Timeout = QuickCommandTimeout }, ct).ConfigureAwait(false);
        bool running = status.ExitCode switch
        {
            PgCtlCommand.StatusRunning => true,
            PgCtlCommand.StatusNotRunning => false,
            PgCtlCommand.StatusNoDataDirectory => throw new PgHaException(PgHaErrorIds.DataDirectoryNotFound, node.Name,
                $"pg_ctl cannot access the data directory {MessageText.Quote(node.DataDirectory)} of {node.Name} on {host.Description}: {MessageText.Shorten(status.StandardError.Trim())} Give the node's real data directory."),
            _ => throw new PgHaException(PgHaErrorIds.NodeStatusFailed, node.Name,
                $"pg_ctl status for {node.Name} on {host.Description} failed with exit code {status.ExitCode}: {status.StandardError.Trim()}"),
        };

        int? pid = null;
        if (running)
        {
            string? pidFile = await host.ReadFileAsync(node.DataDirectory.TrimEnd('/') + "/postmaster.pid", ct).ConfigureAwait(false);
            pid = PgCtlCommand.PostmasterPid(pidFile, status.StandardOutput);
            if (pid is { } postmaster && await IsZombieAsync(host, postmaster, ct).ConfigureAwait(false))
            {
                // pg_ctl status asks kill(pid, 0), which a dead but not yet reaped postmaster still answers (a
                // container whose PID 1 reaps slowly keeps one for seconds after kill -9). It runs no more.
                context.Reporter.Verbose($"{node.Name}'s postmaster {postmaster} has died and waits to be reaped: not running.");
                running = false;
                pid = null;
            }
        }

        PgControlData? controlData = null;
        if (withControlData)
        {
            controlData = await ReadControlDataAsync(context, host, binDir, node).ConfigureAwait(false);
        }
        return new NodeRunState(running, pid, controlData);
    }

    private static async Task<bool> IsZombieAsync(INodeTransport host, int pid, CancellationToken ct) =>
        ProcessStat.IsZombie(await host.ReadFileAsync($"/proc/{pid}/stat", ct).ConfigureAwait(false));

    private static async Task<PgControlData?> ReadControlDataAsync(OperationContext context, INodeTransport host, string binDir, NodeHost node)
    {
        context.Reporter.Verbose($"Reading {node.Name}'s pg_control: pg_controldata -D '{node.DataDirectory}' ({host.Description}).");
        // LC_ALL=C: a translated pg_controldata ("Zustand des Datenbank-Clusters") would defeat the parser.
        CommandResult result = await host.RunAsync("env", ["LC_ALL=C", binDir + "/pg_controldata", "-D", node.DataDirectory],
            new CommandOptions { Timeout = QuickCommandTimeout }, context.CancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            context.Reporter.Verbose($"pg_controldata could not read {node.Name}'s pg_control: {result.StandardError.Trim()}");
            return null;
        }
        return ParseControlData(context, node, result.StandardOutput);
    }

    /// <summary>Runs pg_ctl (which waits by itself, -w -t) and reports progress once a second until it returns.</summary>
    private static async Task<CommandResult> RunWithProgressAsync(
        OperationContext context, INodeTransport host, string program, IReadOnlyList<string> arguments, TimeSpan wait, string activity, string status,
        bool startsServer = false)
    {
        var options = new CommandOptions { Timeout = TimeSpan.FromSeconds(PgCtlCommand.WaitSeconds(wait)) + PgCtlCommand.TransportGrace, StartsServer = startsServer };
        Task<CommandResult> run = host.RunAsync(program, arguments, options, context.CancellationToken);
        var clock = Stopwatch.StartNew();
        double limit = PgCtlCommand.WaitSeconds(wait);
        try
        {
            // Bounded by the command's own timeout above: this loop ends when the command does.
            while (await Task.WhenAny(run, Task.Delay(ProgressInterval, context.CancellationToken)).ConfigureAwait(false) != run)
            {
                double elapsed = clock.Elapsed.TotalSeconds;
                context.Reporter.Progress(activity, $"{status}: {elapsed:0} s of {limit:0} s", (int)Math.Min(99, elapsed * 100 / limit));
            }
        }
        catch (OperationCanceledException)
        {
            // Cancelled while waiting: the command sees the same token and stops; its exception is the one to surface.
        }
        try
        {
            return await run.ConfigureAwait(false);
        }
        finally
        {
            context.Reporter.Progress(activity, "Done", 100);
        }
    }

    private static async Task<PgHaException> StartFailedAsync(OperationContext context, INodeTransport host, NodeHost node, string logFile, string why)
    {
        string tail;
        try
        {
            CommandResult read = await host.RunAsync("tail", ["-n", LogTailLines.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", logFile],
                new CommandOptions { Timeout = QuickCommandTimeout }, context.CancellationToken).ConfigureAwait(false);
            tail = read.Succeeded
                ? PgCtlCommand.Tail(read.StandardOutput, LogTailLines)
                : $"(cannot read {logFile}: {read.StandardError.Trim()})";
        }
        catch (TimeoutException ex)
        {
            tail = $"(cannot read {logFile}: {ex.Message})";
        }
        return new PgHaException(PgHaErrorIds.NodeStartFailed, node.Name,
            $"{node.Name}'s server did not start on {host.Description}: {why}. Fix what the log says and start it again. " +
            $"Last lines of {logFile} (with logging_collector on, the server's own log directory has the rest):\n{tail}");
    }

    private static PgHaNodeServiceResult Result(
        NodeHost node, PgHaServiceAction action, PgHaStopMode? mode, NodeRunState before, NodeRunState after, bool changed, TimeSpan duration, string? logFile) => new()
    {
        Node = node.Name,
        Action = action,
        Mode = mode,
        WasRunning = before.IsRunning,
        IsRunning = after.IsRunning,
        Pid = after.IsRunning ? after.Pid : null,
        Changed = changed,
        Duration = duration,
        DataDirectory = node.DataDirectory,
        Host = node.SshHost ?? "local",
        LogFile = logFile,
    };

    /// <summary>pg_controldata's output parsed; null (and a verbose line) when it is not understood.</summary>
    private static PgControlData? ParseControlData(OperationContext context, NodeHost node, string output)
    {
        try
        {
            return PgControlData.Parse(output);
        }
        catch (FormatException ex)
        {
            context.Reporter.Verbose($"pg_controldata's output for {node.Name} was not understood: {ex.Message}");
            return null;
        }
    }
}
