using PgHa.Tests.Fixtures;

namespace PgHa.Tests.Faults;

/// <summary>
/// A cgroup v2 of one node's own, holding its postmaster tree and its monitor: what a whole machine is to a
/// real cluster. Frozen with cgroup.freeze (the node stops dead, as a VM paused by its hypervisor or a
/// stop-the-world stall would), and matched by nftables (socket cgroupv2) to cut the node off from its peers
/// while clients in the test's own cgroup still reach it. Processes started by a process inside the cgroup
/// (backends forked by the postmaster, pg_ctl run by the monitor) are inside it too. Disposing thaws it, moves
/// whatever is left back to the root cgroup and removes it.
/// </summary>
public sealed class NodeCgroup : IDisposable
{
    private static int _counter;

    private NodeCgroup(string node, string directory, int mark)
    {
        Node = node;
        Directory = directory;
        Mark = mark;
    }

    /// <summary>The node this cgroup stands for.</summary>
    public string Node { get; }

    /// <summary>The cgroup's directory in the cgroup2 hierarchy.</summary>
    public string Directory { get; }

    /// <summary>The file a process joins the cgroup through (write its PID).</summary>
    public string ProcsFile => Path.Combine(Directory, "cgroup.procs");

    /// <summary>
    /// The path nftables' "socket cgroupv2" takes: nft resolves it against /sys/fs/cgroup, whatever the cgroup2
    /// mount is (on a hybrid layout it is /sys/fs/cgroup/unified, so the path starts with "unified/").
    /// </summary>
    public string NftPath => Path.GetRelativePath("/sys/fs/cgroup", Directory);

    /// <summary>The conntrack mark the connections this node opens carry (see <see cref="CgroupFirewall"/>).</summary>
    public int Mark { get; }

    /// <summary>Where cgroup2 is mounted (/sys/fs/cgroup on a pure v2 machine, /sys/fs/cgroup/unified on a hybrid one).</summary>
    public static string Cgroup2Root()
    {
        foreach (string line in File.ReadLines("/proc/mounts"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 2 && fields[2] == "cgroup2")
            {
                return fields[1];
            }
        }
        throw new InvalidOperationException("No cgroup2 file system is mounted (/proc/mounts); the fault suite needs cgroup v2 to freeze and cut off nodes.");
    }

    public static NodeCgroup Create(string node, int mark)
    {
        string directory = Path.Combine(Cgroup2Root(), $"pgha_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}_{node}");
        System.IO.Directory.CreateDirectory(directory);
        return new NodeCgroup(node, directory, mark);
    }

    /// <summary>Moves one process in (its threads follow).</summary>
    public void Add(int pid)
    {
        try
        {
            File.WriteAllText(ProcsFile, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException) when (!LinuxProcesses.Exists(pid))
        {
            // It ended meanwhile: nothing to move.
        }
    }

    /// <summary>A postmaster and every process it has forked so far; later backends inherit the cgroup from it.</summary>
    public void AddProcessTree(int pid)
    {
        Add(pid);
        foreach (int child in LinuxProcesses.ChildrenOf(pid))
        {
            AddProcessTree(child);
        }
    }

    /// <summary>The processes in the cgroup now.</summary>
    public IReadOnlyList<int> Pids() =>
        File.ReadAllLines(ProcsFile).Where(l => l.Length > 0).Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>Freezes every process of the node; returns once the kernel reports the cgroup frozen.</summary>
    public Task FreezeAsync() => SetFrozenAsync(true);

    public Task ThawAsync() => SetFrozenAsync(false);

    private async Task SetFrozenAsync(bool frozen)
    {
        await File.WriteAllTextAsync(Path.Combine(Directory, "cgroup.freeze"), frozen ? "1" : "0");
        string expected = frozen ? "frozen 1" : "frozen 0";
        bool done = await Polling.UntilAsync(() => File.ReadAllLines(Path.Combine(Directory, "cgroup.events")).Contains(expected), TimeSpan.FromSeconds(10));
        if (!done)
        {
            throw new InvalidOperationException($"The cgroup of {Node} did not report '{expected}' within 10 s ({Directory}).");
        }
    }

    public void Dispose()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return;
        }
        File.WriteAllText(Path.Combine(Directory, "cgroup.freeze"), "0");
        string parent = Path.Combine(Path.GetDirectoryName(Directory)!, "cgroup.procs");
        for (int attempt = 0; attempt < 50; attempt++)
        {
            foreach (int pid in Pids())
            {
                try
                {
                    File.WriteAllText(parent, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                catch (IOException)
                {
                    // Ended meanwhile.
                }
            }
            try
            {
                System.IO.Directory.Delete(Directory);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100); // a process forked while we moved the others: move it too
            }
        }
        throw new InvalidOperationException($"Could not remove the cgroup {Directory}; processes left: {string.Join(", ", Pids())}.");
    }
}
