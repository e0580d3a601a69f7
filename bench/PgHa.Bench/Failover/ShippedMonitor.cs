using System.Diagnostics;
using PgHa.Bench.Hosting;

namespace PgHa.Bench.Failover;

/// <summary>
/// One node's monitor started as examples/systemd/pgha-monitor@.service starts it: User=postgres, Nice=-5, LimitRTPRIO=1,
/// `pwsh -NoProfile -NonInteractive -Command "Import-Module PgHa; Start-PgHaMonitor -Config /etc/pgha/%i.psd1
/// -LogFile /var/log/pgha/%i.log -StateFile /var/lib/pgha/%i.vote.json -ManageServer"`, stopped with SIGTERM.
/// Here: the pinned pwsh's files where postgres can read them (bench/failover.sh copies them; /usr/bin/pwsh in
/// production), the module imported by its path, setpriv for User= (no PAM session, as systemd opens none
/// without PAMName=), and a HOME of the benchmark's (the cluster secret at its default ~/.pgha/cluster-secret).
/// Nothing else is given: no -LocalConninfo, no timing parameter.
/// </summary>
public sealed class ShippedMonitor : IMonitorAgent
{
    private readonly Process _process;

    private ShippedMonitor(string nodeName, Process process, string logFile, string consoleFile)
    {
        NodeName = nodeName;
        _process = process;
        LogFile = logFile;
        ConsoleFile = consoleFile;
    }

    public string NodeName { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string LogFile { get; }

    public string ConsoleFile { get; }

    /// <summary>The command line of the unit's ExecStart, with this run's paths (and, for a bench-only variant, more parameters).</summary>
    public static string Command(string config, string logFile, string stateFile, string extraParameters = "") =>
        $"Import-Module '{RepositoryLayout.ModuleManifest}'; Start-PgHaMonitor -Config {config} -LogFile {logFile} -StateFile {stateFile} -ManageServer{extraParameters}";

    /// <param name="pwshDll">pwsh.dll of the pinned pwsh, readable by postgres.</param>
    /// <param name="home">The postgres user's HOME for this monitor (writable by postgres).</param>
    /// <param name="extraParameters">Empty as shipped; " -LocalConninfo '...'" for the bench-only variant.</param>
    public static ShippedMonitor Start(string nodeName, string pwshDll, string home, string config, string logFile, string stateFile, string consoleFile, string extraParameters = "")
    {
        // sh sends the console to a file and execs the chain, so the process is the monitor's own (nice, setpriv and env exec too).
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (string argument in new[]
        {
            "-c", "exec \"$@\" >>\"$0\" 2>&1", consoleFile,
            // LimitRTPRIO=1 cannot be set here (the sandbox lacks CAP_SYS_RESOURCE to raise the limit); CAP_SYS_NICE,
            // ambient, allows the same: the lease timer's thread may ask for SCHED_FIFO.
            "/usr/bin/nice", "-n", "-5", "/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
            "--inh-caps=+sys_nice", "--ambient-caps=+sys_nice",
            "/usr/bin/env", "-u", "PGHA_CLUSTER_SECRET_FILE", $"HOME={home}", "/usr/bin/dotnet", pwshDll,
            "-NoProfile", "-NonInteractive", "-Command", Command(config, logFile, stateFile, extraParameters),
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("sh did not start");
        return new ShippedMonitor(nodeName, process, logFile, consoleFile);
    }

    public string Describe()
    {
        string log = File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log file)";
        string console = File.Exists(ConsoleFile) ? File.ReadAllText(ConsoleFile) : string.Empty;
        return $"--- monitor of {NodeName} (pid {Pid}{(_process.HasExited ? $", exited {_process.ExitCode}" : string.Empty)}) ---\n{log}\n--- console ---\n{console}";
    }

    /// <summary>SIGTERM (systemctl stop), then up to 30 s (the unit's TimeoutStopSec); killed otherwise.</summary>
    public async ValueTask DisposeAsync()
    {
        await ProcessStop.TermThenKillAsync(_process, [_process.Id], TimeSpan.FromSeconds(30));
        _process.Dispose();
    }
}
