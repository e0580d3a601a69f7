using System.Runtime.InteropServices;

namespace PgHa.Core;

/// <summary>
/// The clock every lease, watch and deadline of the monitor is read from, in milliseconds since boot. On Linux
/// it is CLOCK_BOOTTIME: like CLOCK_MONOTONIC (Environment.TickCount64) it never moves with the wall clock, but
/// it also counts the time a suspended host slept. With CLOCK_MONOTONIC a primary's host that was suspended
/// (a laptop lid, a VM suspended to RAM) would find on resume that its lease had not moved on, and take writes
/// beside the primary the others elected meanwhile; with CLOCK_BOOTTIME its lease has ended and the lease
/// timer fences at once. The same in every process of one boot, so the lease record can be read by a restarted
/// monitor. Elsewhere: Environment.TickCount64.
/// </summary>
internal static class MonotonicClock
{
    private const int ClockBootTime = 7; // CLOCK_BOOTTIME in <linux/time.h>

    public static long NowMs => OperatingSystem.IsLinux() ? BootTimeMs() : Environment.TickCount64;

    private static long BootTimeMs()
    {
        if (clock_gettime(ClockBootTime, out Timespec now) != 0)
        {
            return Environment.TickCount64;
        }
        return (now.Seconds * 1000) + (now.Nanoseconds / 1_000_000);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static extern int clock_gettime(int clockId, out Timespec time);
}
