using System.Runtime.InteropServices;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// Kills what a failover round takes down: the postmaster alone (kill -9), or the whole node lost: its HA agent (PgHa monitor or repmgrd, with whatever it started) and every process of
/// its PostgreSQL server (the postmaster and its children) get SIGKILL in one tight loop, so nothing of the
/// node can react to the others' deaths. On loopback the node's address then refuses connections at once;
/// a host that vanished from a real network would leave them hanging until a timeout instead (not measured).
/// </summary>
public static class NodeLoss
{
    /// <summary>
    /// The node's processes: the agent's and the server's trees. Collected before the first signal (a killed parent's
    /// children are re-parented and harder to find), and apart from it, so that reading /proc is not timed.
    /// </summary>
    public static IReadOnlyList<int> Processes(IEnumerable<int> agentPids, int postmasterPid) =>
        agentPids.SelectMany(Tree).Concat(Tree(postmasterPid)).Distinct().ToList();

    /// <summary>SIGKILL to every one of them, in order (agents first).</summary>
    public static void Kill(IReadOnlyList<int> processes)
    {
        foreach (int pid in processes)
        {
            _ = Signal(pid, 9);
        }
    }

    /// <summary>The process and all its descendants, parents first.</summary>
    private static IEnumerable<int> Tree(int pid)
    {
        yield return pid;
        foreach (int child in LinuxProcesses.ChildrenOf(pid))
        {
            foreach (int descendant in Tree(child))
            {
                yield return descendant;
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Signal(int pid, int signal);
}
