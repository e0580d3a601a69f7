using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using PgHa.Operations.Service;

namespace PgHa.Operations.Monitor;

/// <summary>
/// A local server stopped where it stands (SIGSTOP to the postmaster and to each of its children) for the time a
/// fence needs to make standby.signal durable. Why: the fence must write and fsync the signal BEFORE it stops the
/// server (a reboot in between must find a server that can only start read-only), and on a busy disk that fsync
/// took 0.2 s, during which a thawed old primary kept acknowledging writes beside the new one. A stopped backend
/// commits nothing new, and a stopped server is still a running one as far as a reboot is concerned, so stopping
/// it first changes nothing the order protects. <see cref="Quit"/> queues SIGQUIT on every process before
/// <see cref="Dispose"/> lets them run again, so each runs only its SIGQUIT handler (PostgreSQL's quickdie: a
/// message to its client, which flushes what was already buffered, then exit). The postmaster takes its SIGQUIT
/// (3) before the SIGCHLD (17) of its children's deaths (Linux delivers the lowest pending signal first), so it
/// shuts down and does not treat them as a crash.
/// </summary>
internal sealed class FrozenServer : IDisposable
{
    private const int SigQuit = 3;
    private const int SigCont = 18;
    private const int SigStop = 19;

    /// <summary>
    /// How long to wait for the postmaster to stop. Until it has, it may still fork, and the kernel's list of its
    /// children is only reliable once it is stopped; the children known so far are stopped already meanwhile.
    /// </summary>
    private static readonly TimeSpan PostmasterStopWait = TimeSpan.FromSeconds(1);

    private readonly int _postmaster;
    private readonly HashSet<int> _children = [];
    private bool _released;

    private FrozenServer(int postmaster) => _postmaster = postmaster;

    /// <summary>The children stopped with the postmaster (backends, walsenders, background processes).</summary>
    public IReadOnlyCollection<int> Children => _children;

    /// <summary>False when the postmaster had not stopped within a second (a CPU quota, a host that gives it no CPU): children it forked meanwhile may run.</summary>
    public bool Complete { get; private set; }

    /// <summary>
    /// Stops the postmaster and every child it has, at once: the children are what acknowledge writes, and a
    /// postmaster on a busy host may take tens of milliseconds to be scheduled and actually stop. Then, once it has
    /// stopped (it forks no more, and its list of children holds still), the children again until a read finds no
    /// new one: a child forked meanwhile did not inherit the pending stop. Null when this process may not signal it
    /// (another user): the fence then goes on without this step. Whatever fails after the first SIGSTOP lets the
    /// server run again before the error goes on: a fence must never leave a server stopped for ever.
    /// </summary>
    public static FrozenServer? TryFreeze(int postmaster)
    {
        if (OperatingSystem.IsWindows() || SendSignal(postmaster, SigStop) != 0)
        {
            return null;
        }
        var frozen = new FrozenServer(postmaster);
        try
        {
            frozen.StopChildren();
            var clock = Stopwatch.StartNew();
            while (!IsStopped(postmaster) && clock.Elapsed < PostmasterStopWait)
            {
                Thread.Sleep(1); // not a spin: the postmaster needs a CPU to stop, and there may be only two
            }
            frozen.Complete = IsStopped(postmaster);
            while (frozen.StopChildren() > 0)
            {
            }
            return frozen;
        }
        catch
        {
            frozen.Dispose();
            throw;
        }
    }

    /// <summary>Stops the children not stopped yet; returns how many it found.</summary>
    private int StopChildren()
    {
        int found = 0;
        foreach (int child in ChildrenOf(_postmaster))
        {
            if (!_children.Contains(child) && SendSignal(child, SigStop) == 0)
            {
                _children.Add(child);
                found++;
            }
        }
        return found;
    }

    /// <summary>Queues SIGQUIT (immediate shutdown) on the postmaster and every stopped child; it is acted on when they run again.</summary>
    public bool Quit()
    {
        foreach (int child in _children)
        {
            _ = SendSignal(child, SigQuit);
        }
        return SendSignal(_postmaster, SigQuit) == 0;
    }

    /// <summary>
    /// Lets them run again: the postmaster first, then the children. Also when the fence failed before
    /// <see cref="Quit"/>: the server is then as it was, and the fence is tried again.
    /// </summary>
    public void Dispose()
    {
        if (_released)
        {
            return;
        }
        _released = true;
        _ = SendSignal(_postmaster, SigCont);
        foreach (int child in _children)
        {
            _ = SendSignal(child, SigCont);
        }
    }

    /// <summary>
    /// A monitor that died in the middle of a fence (between the stop and the SIGQUIT) leaves its server stopped
    /// for ever: nothing else sends it SIGCONT, and pg_ctl's own stop waits on it in vain. A monitor starting on a
    /// stopped postmaster finishes that fence when the signal is already in place (SIGQUIT to every process, then
    /// SIGCONT) and otherwise lets it run again, as a failed fence does. Returns what it did, or null when the
    /// postmaster was not stopped.
    /// </summary>
    public static string? EndLeftOver(int postmaster, bool signalInPlace)
    {
        // SIGSTOP only: a postmaster a DBA holds in a debugger (state t) is theirs.
        if (!ReadState(postmaster, ProcessStat.IsStoppedBySignal))
        {
            return null;
        }
        var frozen = new FrozenServer(postmaster) { Complete = true };
        foreach (int child in ChildrenOf(postmaster))
        {
            frozen._children.Add(child);
        }
        if (signalInPlace)
        {
            frozen.Quit();
        }
        frozen.Dispose();
        return signalInPlace
            ? $"its postmaster {postmaster} was stopped in place (SIGSTOP) with standby.signal written: a fence was cut short; it has been finished (SIGQUIT, immediate shutdown)"
            : $"its postmaster {postmaster} was stopped in place (SIGSTOP) before standby.signal was written: a fence was cut short; the server runs again as it was";
    }

    private static bool IsStopped(int pid) => ReadState(pid, ProcessStat.IsStopped);

    private static bool ReadState(int pid, Func<string, bool> test)
    {
        try
        {
            return test(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // gone, or not ours to read: nothing to wait for
        }
    }

    /// <summary>The postmaster's children, from the kernel's list (the postmaster is single-threaded, so its one task has them all).</summary>
    private static List<int> ChildrenOf(int pid)
    {
        string list;
        try
        {
            list = File.ReadAllText($"/proc/{pid}/task/{pid}/children");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var children = new List<int>();
        foreach (string field in list.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int child))
            {
                children.Add(child);
            }
        }
        return children;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
