using PgHa.Operations.Service;
using PgHa.Transport;
using Xunit;

namespace PgHa.UnitTests.Service;

/// <summary>
/// The switchover's one-command stop (<see cref="PgCtlCommand.StopAndReadControlScript"/>), run by sh against
/// stand-in pg_ctl and pg_controldata programs: it ends when postmaster.pid goes, counts a pid file whose
/// process is gone as stopped, tells a refused pg_ctl from a deadline, and reads pg_control in the C locale.
/// </summary>
public sealed class StopAndReadControlScriptTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pgha-stop-script-").FullName;

    public StopAndReadControlScriptTests()
    {
        Directory.CreateDirectory(BinDir);
        Directory.CreateDirectory(DataDir);
        WriteProgram("pg_controldata", "echo \"Database cluster state:               shut down\"; echo \"locale: $LC_ALL\"");
    }

    private string BinDir => Path.Combine(_root, "bin");

    private string DataDir => Path.Combine(_root, "data");

    private string PidFile => Path.Combine(DataDir, "postmaster.pid");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task EndsWhenPostmasterPidGoesAndPrintsPgControlInTheCLocale()
    {
        // A live process (this one) owns the pid file; the stand-in pg_ctl removes the file a moment later, as a postmaster does at the end of its shutdown.
        File.WriteAllText(PidFile, $"{Environment.ProcessId}\n{DataDir}\n");
        WriteProgram("pg_ctl", "[ \"$1 $2 $4 $5 $6 $7\" = 'stop -D -m fast -W -s' ] || { echo \"unexpected: $*\" >&2; exit 1; }; (sleep 0.3; rm -f \"$3/postmaster.pid\") & exit 0");

        CommandResult result = await RunAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("Database cluster state:               shut down", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("locale: C", result.StandardOutput, StringComparison.Ordinal);
        Assert.False(File.Exists(PidFile));
    }

    [Fact]
    public async Task APidFileWhoseProcessIsGoneCountsAsStopped()
    {
        File.WriteAllText(PidFile, $"{await ExitedPidAsync()}\n{DataDir}\n");
        WriteProgram("pg_ctl", "exit 0");

        CommandResult result = await RunAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("shut down", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARefusedPgCtlIsToldApartAndNothingIsWaitedFor()
    {
        File.WriteAllText(PidFile, $"{Environment.ProcessId}\n");
        WriteProgram("pg_ctl", "echo 'pg_ctl: could not send stop signal' >&2; exit 1");

        CommandResult result = await RunAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(PgCtlCommand.StopRefused, result.ExitCode);
        Assert.Contains("could not send stop signal", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(result.StandardOutput);
    }

    [Fact]
    public async Task AServerStillRunningAtTheDeadlineIsReportedAsSuch()
    {
        File.WriteAllText(PidFile, $"{Environment.ProcessId}\n");
        WriteProgram("pg_ctl", "exit 0");

        CommandResult result = await RunAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(PgCtlCommand.StopStillRunning, result.ExitCode);
        Assert.True(result.Duration >= TimeSpan.FromSeconds(1), $"gave up after {result.Duration}");
        Assert.True(File.Exists(PidFile));
    }

    private async Task<CommandResult> RunAsync(TimeSpan wait)
    {
        // As the current user: no runuser, the stand-ins are this test's files.
        await using var transport = new LocalTransport(Environment.UserName);
        return await transport.RunAsync("sh", PgCtlCommand.StopAndReadControl(BinDir, DataDir, PgHaStopMode.Fast, wait),
            new CommandOptions { Timeout = TimeSpan.FromSeconds(60) }, CancellationToken.None);
    }

    private void WriteProgram(string name, string body)
    {
        string path = Path.Combine(BinDir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        // Linux only, like everything that runs sh; the guard tells the platform analyzer so.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static async Task<int> ExitedPidAsync()
    {
        using var process = System.Diagnostics.Process.Start("true")!;
        await process.WaitForExitAsync();
        return process.Id;
    }
}
