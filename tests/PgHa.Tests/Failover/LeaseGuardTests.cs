using System.Diagnostics;
using PgHa.Core;
using PgHa.Operations.Monitor;
using PgHa.Tests.Fixtures;
using Xunit;

namespace PgHa.Tests.Failover;

/// <summary>
/// The lease guard's own rules, run for real (bash, setsid, flock) against a stand-in postmaster: a sleep
/// process named in a postmaster.pid, so each rule is shown in a second without a database. That it fences a
/// real primary whose monitor was killed is shown on real servers by LeaseGuardClusterTests.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LeaseGuardTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-guard-").FullName;
    private readonly List<Process> _postmasters = [];

    private string DataDirectory => Path.Combine(_directory, "data");
    private string RecordPath => Path.Combine(_directory, "node1.vote.json.lease");
    private string SignalPath => Path.Combine(DataDirectory, "standby.signal");

    [Fact]
    public async Task FencesWhenTheRecordedLeaseEnds_AndReportsIt()
    {
        int postmaster = StartPostmaster();
        var record = new LeaseRecord(RecordPath);
        record.Save(MonotonicClock.NowMs + 600);
        var guard = new LeaseGuard(RecordPath);
        guard.Ensure(DataDirectory, postmaster, MonotonicClock.NowMs, Fail);

        Assert.True(await Polling.UntilAsync(() => guard.RunningPid() is not null, TimeSpan.FromSeconds(10)), "No guard runs.");
        Assert.False(File.Exists(SignalPath), "The guard fenced before the lease ended.");
        Assert.True(await Polling.UntilAsync(() => !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(10)), "The postmaster got no SIGQUIT after the lease ended.");
        Assert.True(File.Exists(SignalPath), "The postmaster was stopped without standby.signal.");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SignalPath));
        Assert.True(await Polling.UntilAsync(() => guard.RunningPid() is null, TimeSpan.FromSeconds(10)), "The guard ran on after it fenced.");
        string? report = guard.TakeReport();
        Assert.Contains($"postmaster {postmaster}", report);
        Assert.Null(guard.TakeReport());
    }

    [Fact]
    public async Task AServerLeftStoppedInPlaceByADeadMonitorIsStillEnded()
    {
        // A monitor killed in the middle of its own fence leaves its server stopped (FrozenServer: SIGSTOP) with no
        // SIGQUIT sent yet: the guard's SIGQUIT alone would wait for ever in a stopped process, so it continues it.
        int postmaster = StartPostmaster();
        var record = new LeaseRecord(RecordPath);
        record.Save(MonotonicClock.NowMs + 600);
        var guard = new LeaseGuard(RecordPath);
        guard.Ensure(DataDirectory, postmaster, MonotonicClock.NowMs, Fail);
        Assert.True(await Polling.UntilAsync(() => guard.RunningPid() is not null, TimeSpan.FromSeconds(10)), "No guard runs.");
        Assert.Equal(0, SendSignal(postmaster, 19 /* SIGSTOP */));

        Assert.True(await Polling.UntilAsync(() => !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(10)), "The stopped postmaster outlived the guard's fence.");
        Assert.True(File.Exists(SignalPath), "The postmaster was stopped without standby.signal.");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    [Fact]
    public async Task ALeaseThatIsRenewedIsNeverFenced_AndOnlyOneGuardRuns()
    {
        int postmaster = StartPostmaster();
        var record = new LeaseRecord(RecordPath);
        record.Save(MonotonicClock.NowMs + 800);
        var guard = new LeaseGuard(RecordPath);
        guard.Ensure(DataDirectory, postmaster, MonotonicClock.NowMs, Fail);
        Assert.True(await Polling.UntilAsync(() => guard.RunningPid() is not null, TimeSpan.FromSeconds(10)), "No guard runs.");
        int first = guard.RunningPid()!.Value;

        // A restarted monitor's guard finds the running one (its own object, its first look).
        new LeaseGuard(RecordPath).Ensure(DataDirectory, postmaster, MonotonicClock.NowMs, Fail);
        var renewing = Stopwatch.StartNew();
        while (renewing.Elapsed < TimeSpan.FromSeconds(3))
        {
            record.Save(MonotonicClock.NowMs + 800);
            await Task.Delay(100);
        }
        Assert.True(LinuxProcesses.IsAlive(postmaster), "The guard fenced a lease that was renewed.");
        Assert.False(File.Exists(SignalPath));
        Assert.Equal(first, guard.RunningPid());
        Assert.Single(LinuxProcesses.WithCommandLineContaining(RecordPath));
    }

    [Fact]
    public async Task APausedMonitorsLeaseIsNotFenced()
    {
        int postmaster = StartPostmaster();
        var record = new LeaseRecord(RecordPath);
        record.Save(MonotonicClock.NowMs + 300);
        record.SetPaused(true, MonotonicClock.NowMs + 300);
        var guard = new LeaseGuard(RecordPath);
        guard.Ensure(DataDirectory, postmaster, MonotonicClock.NowMs, Fail);
        Assert.True(await Polling.UntilAsync(() => guard.RunningPid() is not null, TimeSpan.FromSeconds(10)), "No guard runs.");
        // Past the lease's end while paused: a bounded watch for a fence that must not come.
        Assert.False(await Polling.UntilAsync(() => !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(1.5)), "The guard fenced a paused monitor's primary.");
        record.SetPaused(false, MonotonicClock.NowMs);
        Assert.True(await Polling.UntilAsync(() => !LinuxProcesses.IsAlive(postmaster), TimeSpan.FromSeconds(10)), "Resumed, the ended lease was not fenced.");
        Assert.True(File.Exists(SignalPath));
    }

    [Fact]
    public async Task ANormalStopOrAGoneServerEndsTheGuardWithoutAFence()
    {
        int postmaster = StartPostmaster();
        var record = new LeaseRecord(RecordPath);
        record.Save(MonotonicClock.NowMs + 2000);
        var guard = new LeaseGuard(RecordPath);
        guard.Ensure(DataDirectory, postmaster, MonotonicClock.NowMs, Fail);
        Assert.True(await Polling.UntilAsync(() => guard.RunningPid() is not null, TimeSpan.FromSeconds(10)), "No guard runs.");
        record.SaveStopped(MonotonicClock.NowMs + 500, MonotonicClock.NowMs);
        Assert.True(await Polling.UntilAsync(() => guard.RunningPid() is null, TimeSpan.FromSeconds(10)), "A normal stop did not end the guard.");
        await Task.Delay(1000); // past the stopped lease's end: the stand-in must still run (nothing watches it now)
        Assert.True(LinuxProcesses.IsAlive(postmaster));
        Assert.False(File.Exists(SignalPath));

        // Another guard; then the server goes (stopped by someone else): the guard ends, nothing is written.
        record.Save(MonotonicClock.NowMs + 60_000);
        var next = new LeaseGuard(RecordPath);
        next.Ensure(DataDirectory, postmaster, MonotonicClock.NowMs, Fail);
        Assert.True(await Polling.UntilAsync(() => next.RunningPid() is not null, TimeSpan.FromSeconds(10)), "No second guard runs.");
        File.Delete(Path.Combine(DataDirectory, "postmaster.pid"));
        Assert.True(await Polling.UntilAsync(() => next.RunningPid() is null, TimeSpan.FromSeconds(10)), "The guard outlived its server.");
        Assert.False(File.Exists(SignalPath));
    }

    private int StartPostmaster()
    {
        Directory.CreateDirectory(DataDirectory);
        var process = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        _postmasters.Add(process);
        File.WriteAllText(Path.Combine(DataDirectory, "postmaster.pid"), $"{process.Id}\n{DataDirectory}\n");
        return process.Id;
    }

    private static void Fail(string warning) => Assert.Fail(warning);

    public void Dispose()
    {
        foreach (int pid in LinuxProcesses.WithCommandLineContaining(RecordPath))
        {
            LinuxProcesses.KillHard(pid);
        }
        foreach (Process process in _postmasters)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
            process.Dispose();
        }
        Directory.Delete(_directory, recursive: true);
    }
}
