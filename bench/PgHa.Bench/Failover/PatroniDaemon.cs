using System.Diagnostics;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// One Patroni (Debian's patroni 3.0.2, /usr/bin/patroni) in the foreground as the postgres OS user, through runuser, so
/// this program owns the process: `patroni &lt;node&gt;.yml`, its log (stderr, Patroni's default) appended to a file beside
/// it. Patroni starts its postmaster detached (it is not a child of Patroni), so the agent's processes are runuser,
/// Patroni and Patroni's own helpers. Stopped with SIGTERM to Patroni (which stops its PostgreSQL, fast, and gives the
/// leader key up), killed after 30 s.
/// </summary>
public sealed class PatroniDaemon : IAsyncDisposable
{
    public const string Program = "/usr/bin/patroni";

    private readonly Process _runuser;

    private PatroniDaemon(string nodeName, Process runuser, string logFile)
    {
        NodeName = nodeName;
        _runuser = runuser;
        LogFile = logFile;
    }

    public string NodeName { get; }

    public string LogFile { get; }

    public static PatroniDaemon Start(string nodeName, string configFile, string logFile)
    {
        // sh sends Patroni's output to the file and execs runuser, so the process this program holds is runuser itself.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (string argument in new[] { "-c", "exec \"$@\" >>\"$0\" 2>&1", logFile, "runuser", "-u", FixtureCommand.PostgresUser, "--", Program, configFile })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("sh did not start");
        return new PatroniDaemon(nodeName, process, logFile);
    }

    public bool HasExited => _runuser.HasExited;

    /// <summary>runuser, Patroni (its child) and whatever Patroni runs as its children.</summary>
    public IReadOnlyList<int> Pids => [_runuser.Id, .. LinuxProcesses.ChildrenOf(_runuser.Id)];

    public string Describe()
    {
        string log;
        try
        {
            log = File.ReadAllText(LogFile);
        }
        catch (IOException)
        {
            log = "(no log file)";
        }
        return $"--- Patroni of {NodeName} (pid {_runuser.Id}{(_runuser.HasExited ? $", exited {_runuser.ExitCode}" : string.Empty)}) ---\n{log}";
    }

    public async ValueTask DisposeAsync()
    {
        // runuser waits for its child; the child is Patroni.
        await ProcessStop.TermThenKillAsync(_runuser, LinuxProcesses.ChildrenOf(_runuser.Id), TimeSpan.FromSeconds(30));
        _runuser.Dispose();
    }
}
