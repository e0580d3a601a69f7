using System.Runtime.InteropServices;

namespace PgHa.Operations.Monitor;

/// <summary>
/// Puts the calling thread (the lease timer's) ahead of ordinary processes: SCHED_FIFO at the lowest real-time
/// priority. Why: when a frozen host thaws (a paused VM, cgroup.freeze), the old primary's backends and its monitor
/// run again at the same instant, and the backends commit what their clients sent meanwhile; on two busy cores the
/// timer's thread waited 0.05-0.17 s for a CPU behind them (fault suite, FreezeAsync). A real-time thread is run as
/// soon as it wakes. It is safe to give this thread that rank because it does almost nothing: it looks at the clock
/// every 20 ms, and when the lease has ended it stops the server in place and waits for disk I/O (corosync runs its
/// whole process this way for the same reason). Processes it starts (the lease guard) do not inherit it
/// (SCHED_RESET_ON_FORK). Needs root, CAP_SYS_NICE or RLIMIT_RTPRIO of at least 1 (systemd: LimitRTPRIO=1, as the
/// shipped unit sets); without them the thread keeps its normal rank and the monitor says so once.
/// </summary>
internal static class TimerThreadPriority
{
    private const int SchedFifo = 1;
    private const int SchedResetOnFork = 0x40000000;

    /// <summary>Raises the calling thread; returns null when it was raised, else why not (for the log).</summary>
    public static string? TryRaise()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "real-time scheduling is only asked for on Linux";
        }
        var param = new SchedParam { Priority = 1 };
        // pid 0 is the calling thread: Linux schedules threads, not processes.
        if (SchedSetScheduler(0, SchedFifo | SchedResetOnFork, ref param) == 0)
        {
            return null;
        }
        int errno = Marshal.GetLastPInvokeError();
        return $"sched_setscheduler(SCHED_FIFO, 1) failed ({Marshal.GetPInvokeErrorMessage(errno)}): give the monitor LimitRTPRIO=1 (systemd) or CAP_SYS_NICE";
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static extern int SchedSetScheduler(int pid, int policy, ref SchedParam param);
}
