using System.Diagnostics;
using PgHa.Tests.Fixtures;

namespace PgHa.Bench.Failover;

/// <summary>
/// One repmgrd (repmgr 5.3.3, Debian postgresql-15-repmgr) in the foreground (--daemonize=false), run as the
/// postgres OS user through runuser, so this program owns the process. It logs to the log_file of its
/// repmgr.conf. Stopped with SIGTERM to repmgrd itself, killed if it does not end.
/// </summary>
public sealed class RepmgrDaemon : IAsyncDisposable
{
    public const string Program = PostgresServer.BinDirectory + "/repmgrd";

    private readonly Process _runuser;

    private RepmgrDaemon(Process runuser) => _runuser = runuser;

    public static RepmgrDaemon Start(string configFile)
    {
        var start = new ProcessStartInfo("runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "-u", FixtureCommand.PostgresUser, "--", Program, "-f", configFile, "--daemonize=false" })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("runuser did not start");
        // Drained so a chatty start-up cannot block on a full pipe; repmgrd's own lines go to its log_file.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new RepmgrDaemon(process);
    }

    public bool HasExited => _runuser.HasExited;

    /// <summary>runuser and repmgrd, its child.</summary>
    public IReadOnlyList<int> Pids => [_runuser.Id, .. LinuxProcesses.ChildrenOf(_runuser.Id)];

    public async ValueTask DisposeAsync()
    {
        // runuser waits for its child; the child is repmgrd.
        await ProcessStop.TermThenKillAsync(_runuser, LinuxProcesses.ChildrenOf(_runuser.Id), TimeSpan.FromSeconds(10));
        _runuser.Dispose();
    }
}
