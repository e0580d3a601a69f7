namespace PgHa.Tests.Fixtures;

/// <summary>
/// What /proc says about processes. Fixtures use it to prove that what they started is gone and to kill
/// leftovers: pg_ctl daemonizes the postmaster, so it is not our child and Process cannot track it.
/// </summary>
internal static class LinuxProcesses
{
    /// <summary>A zombie (state Z) counts as gone: it runs nothing, it only waits for its parent to reap it.</summary>
    public static bool IsAlive(int pid)
    {
        var stat = ReadStat(pid);
        return stat is not null && stat.Value.State != 'Z';
    }

    /// <summary>
    /// Whether /proc still lists the PID at all, zombie or not. PostgreSQL's "is the postmaster still
    /// running" check (kill(pid, 0)) is true for a zombie, and on this kind of machine PID 1 reaps
    /// orphans only every second or two, so a restart after a kill must wait for this to turn false.
    /// </summary>
    public static bool Exists(int pid) => Directory.Exists($"/proc/{pid}");

    public static IReadOnlyList<int> ChildrenOf(int parentPid) =>
        AllPids().Where(pid => ReadStat(pid)?.ParentPid == parentPid).ToList();

    /// <summary>The process's command line (arguments joined by spaces); null when it has ended meanwhile.</summary>
    public static string? CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null; // it ended while we looked (DirectoryNotFoundException is one)
        }
    }

    /// <summary>Processes whose command line mentions the given path, e.g. a postmaster's -D directory.</summary>
    public static IReadOnlyList<int> WithCommandLineContaining(string fragment)
    {
        var found = new List<int>();
        foreach (var pid in AllPids())
        {
            if (pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
                if (commandLine.Contains(fragment, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    public static void KillHard(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(entireProcessTree: false);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
            // Exited between the lookup and the kill.
        }
    }

    private static IEnumerable<int> AllPids()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid))
            {
                yield return pid;
            }
        }
    }

    private static (char State, int ParentPid)? ReadStat(int pid)
    {
        try
        {
            // Format: "pid (comm) S ppid ..."; comm may contain spaces and parentheses, so split after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (rest[0][0], int.Parse(rest[1]));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
