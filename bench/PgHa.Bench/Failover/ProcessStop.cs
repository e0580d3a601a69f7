using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PgHa.Bench.Failover;

/// <summary>How the benchmark stops an agent it started: SIGTERM (as systemctl stop sends), a grace period, then SIGKILL to the tree.</summary>
internal static class ProcessStop
{
    /// <param name="process">The process this program started and waits for.</param>
    /// <param name="signalled">Who gets SIGTERM: the process itself, or the child it waits for (runuser's).</param>
    public static async Task TermThenKillAsync(Process process, IEnumerable<int> signalled, TimeSpan grace)
    {
        if (process.HasExited)
        {
            return;
        }
        foreach (int pid in signalled)
        {
            _ = Kill(pid, 15);
        }
        using var deadline = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
