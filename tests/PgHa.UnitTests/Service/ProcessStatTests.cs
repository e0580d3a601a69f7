using PgHa.Operations.Service;
using Xunit;

namespace PgHa.UnitTests.Service;

/// <summary>/proc/&lt;pid&gt;/stat as the monitor reads it every round: "pid (command) state ...".</summary>
public sealed class ProcessStatTests
{
    [Theory]
    [InlineData("4242 (postgres) S 1 4242 4242 0 -1 4194560 1520 0 0 0 3 2 0 0 20 0 1 0 917 221810688 7043")]
    [InlineData("4242 (postgres) R 1 4242 4242 0 -1 4194560")]
    [InlineData("4242 (postmaster) S 1 4242 4242 0 -1 4194560")]
    public void ALivePostmasterIsRunning(string stat)
    {
        Assert.True(ProcessStat.IsLivePostgres(stat));
        Assert.False(ProcessStat.IsZombie(stat));
    }

    [Fact]
    public void AZombiePostmasterIsNotRunning()
    {
        // Killed, not yet reaped by its parent: kill(pid, 0) still answers, the server is gone.
        const string stat = "4242 (postgres) Z 1 4242 4242 0 -1 4227084";
        Assert.True(ProcessStat.IsZombie(stat));
        Assert.False(ProcessStat.IsLivePostgres(stat));
    }

    [Fact]
    public void ADeadProcessIsNotRunning()
    {
        Assert.False(ProcessStat.IsLivePostgres("4242 (postgres) X 1 4242"));
    }

    [Theory]
    [InlineData("4242 (bash) S 1 4242")]
    [InlineData("4242 (postgres-exporter) S 1 4242")]
    [InlineData("4242 (post gres) S 1 4242")]
    public void AnotherProgramWithTheSamePidIsNotThePostmaster(string stat)
    {
        // postmaster.pid outlives a crash; the pid may belong to anything by now.
        Assert.False(ProcessStat.IsLivePostgres(stat));
    }

    [Fact]
    public void TheStateIsTheFieldAfterTheLastClosingParenthesis()
    {
        // A command may hold spaces and parentheses, even ") Z (".
        Assert.True(ProcessStat.IsZombie("77 (my (odd) prog) Z 1 77"));
        Assert.False(ProcessStat.IsZombie("77 (x) Z (y) S 1 77"));
        Assert.False(ProcessStat.IsLivePostgres("77 (postgres) Z (x) S 1 77"));
    }

    [Theory]
    [InlineData("4242 (postgres) T 1 4242", true)]
    [InlineData("4242 (postgres) t 1 4242", true)]
    [InlineData("4242 (postgres) S 1 4242", false)]
    [InlineData("77 (x) T) S 1 77", false)]
    public void AStoppedProcessIsStoppedAndStillRunning(string stat, bool stopped)
    {
        // A fence stops the postmaster (SIGSTOP) while it makes standby.signal durable: stopped, not gone.
        Assert.Equal(stopped, ProcessStat.IsStopped(stat));
        Assert.Equal(stat.Contains(") T ", StringComparison.Ordinal), ProcessStat.IsStoppedBySignal(stat)); // a debugger's stop (t) is not ours
        Assert.Equal(stat.StartsWith("4242", StringComparison.Ordinal), ProcessStat.IsLivePostgres(stat));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("4242")]
    [InlineData("4242 (postgres)")]
    [InlineData("4242 (postgres) ")]
    public void NothingReadableIsNeitherRunningNorAZombie(string? stat)
    {
        Assert.False(ProcessStat.IsLivePostgres(stat));
        Assert.False(ProcessStat.IsZombie(stat));
    }

    [Fact]
    public void ThisTestProcessIsAliveAndNotAPostmaster()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        string stat = File.ReadAllText("/proc/self/stat");
        Assert.False(ProcessStat.IsZombie(stat));
        Assert.False(ProcessStat.IsLivePostgres(stat));
    }
}
