using PgHa.Core;
using PgHa.Operations.Host;
using PgHa.Operations.Service;
using PgHa.Transport;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Makes a primary stop taking writes and keeps it that way: standby.signal goes into its data directory
/// FIRST, fsynced with its directory, so whatever starts the server afterwards (systemd, an operator, a
/// reboot, even after a power cut) starts a read-only standby; then the server is stopped in immediate
/// mode, which ends every session at once. Only Invoke-PgHaRejoin (or the monitor's own rejoin) makes it a standby of the
/// new primary; nothing makes it a primary again but a promotion.
/// </summary>
internal static class Fencing
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    public static string SignalPath(NodeHost node) => node.DataDirectory.TrimEnd('/') + "/standby.signal";

    /// <summary>Puts standby.signal in place (an empty file; writing it again changes nothing).</summary>
    public static async Task PlaceSignalAsync(OperationContext context, NodeHost node)
    {
        await using INodeTransport host = await node.OpenAsync(context).ConfigureAwait(false);
        await host.WriteFileAsync(SignalPath(node), string.Empty, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Fences a running primary: signal, then an immediate stop. Immediate, not fast: a fast stop waits for
    /// the shutdown checkpoint to reach the standbys, and a primary cut off from them would wait out
    /// wal_sender_timeout; writes must end now. The crash recovery this leaves is done by the rejoin.
    /// <paramref name="started"/> is called once a local server has been stopped in place (else first).
    /// </summary>
    public static async Task<NodeRunState> FenceRunningAsync(OperationContext context, NodeHost node, Action? started = null)
    {
        // standby.signal first, durable (file and directory fsynced), and only then the stop: a power cut or a
        // reboot between the two must find a server that can only start read-only. On this machine both are
        // done from this process (a write, two fsyncs and kill(2)), because on a busy host starting runuser or
        // pg_ctl can take seconds and the fencing margin is counted in fractions of one. Elsewhere, or when this
        // process may not write there, the node's transport writes it (also fsynced, see NodeFileCommands) before
        // the stop. The fsyncs themselves took 0.2 s on a busy disk, so a local server is stopped in place first
        // (FrozenServer): from then on it commits nothing new (a reply already buffered may still go out), while the
        // order above still holds.
        int? pid = node.SshHost is null ? LocalPostmaster(node) : null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (FrozenServer? frozen = pid is { } running ? FrozenServer.TryFreeze(running) : null)
        {
            double frozenMs = clock.Elapsed.TotalMilliseconds;
            started?.Invoke(); // what the caller says of it comes after the freeze: a log line is not free either
            bool placedHere = pid is { } p && DurableSignal.TryPlace(SignalPath(node), p);
            if (!placedHere)
            {
                await PlaceSignalAsync(context, node).ConfigureAwait(false);
            }
            bool quit = frozen?.Quit() ?? (pid is { } postmaster && SendSignal(postmaster, SigQuit) == 0);
            if (quit)
            {
                context.Reporter.Verbose(frozen is null
                    ? $"Placed standby.signal and sent SIGQUIT to {node.Name}'s postmaster {pid} (immediate shutdown)."
                    : $"Stopped {node.Name}'s postmaster {pid} and its {frozen.Children.Count} children in place (SIGSTOP, {frozenMs:0.0} ms), placed standby.signal ({clock.Elapsed.TotalMilliseconds - frozenMs:0} ms), sent them SIGQUIT (immediate shutdown) and let them run again.");
            }
        } // a fence that failed lets the server run again, as it was: the caller tries again
        await NodeService.StopAsync(context, node, PgHaStopMode.Immediate, StopWait).ConfigureAwait(false);
        return await NodeService.GetRunningAsync(context, node).ConfigureAwait(false);
    }

    private const int SigQuit = 3;

    /// <summary>The postmaster's pid from postmaster.pid, when it names a live postgres process on this machine.</summary>
    internal static int? LocalPostmaster(NodeHost node)
    {
        try
        {
            string pidFile = File.ReadAllText(node.DataDirectory.TrimEnd('/') + "/postmaster.pid");
            if (PgCtlCommand.PostmasterPid(pidFile, string.Empty) is { } pid && ProcessStat.IsLivePostgres(File.ReadAllText($"/proc/{pid}/stat")))
            {
                return pid;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not readable from here (another user, or gone): the stop below does it.
        }
        return null;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>
    /// Fences a primary whose server is down: the signal is placed, then the server is checked again. True
    /// when it still does not run, so that no later start can make it a writable primary. False when it runs
    /// again: it started before the signal was there (a primary again, for the loop to look after) or just
    /// after (a read-only standby).
    /// </summary>
    public static async Task<bool> FenceStoppedAsync(OperationContext context, NodeHost node)
    {
        await PlaceSignalAsync(context, node).ConfigureAwait(false);
        NodeRunState state = await NodeService.GetRunningAsync(context, node).ConfigureAwait(false);
        return !state.IsRunning;
    }
}
