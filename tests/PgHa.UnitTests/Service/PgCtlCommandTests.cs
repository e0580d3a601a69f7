using PgHa.Operations.Host;
using PgHa.Operations.Service;
using Xunit;

namespace PgHa.UnitTests.Service;

public sealed class PgCtlCommandTests
{
    [Fact]
    public void StartAlwaysNamesALogFileAndWaitsWithTheDeadline()
    {
        Assert.Equal(["-D", "/pg/data", "-l", "/pg/data.log", "-w", "-t", "45", "start"],
            PgCtlCommand.Start("/pg/data", "/pg/data.log", TimeSpan.FromSeconds(45)));
    }

    [Theory]
    [InlineData(PgHaStopMode.Smart, "smart")]
    [InlineData(PgHaStopMode.Fast, "fast")]
    [InlineData(PgHaStopMode.Immediate, "immediate")]
    public void StopPassesTheModeAsPgCtlSpellsIt(PgHaStopMode mode, string expected)
    {
        Assert.Equal(["-D", "/pg/data", "-m", expected, "-w", "-t", "60", "stop"],
            PgCtlCommand.Stop("/pg/data", mode, TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void StatusTakesOnlyTheDirectory()
    {
        Assert.Equal(["-D", "/pg/data", "status"], PgCtlCommand.Status("/pg/data"));
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.2, 1)]
    [InlineData(1.0, 1)]
    [InlineData(1.5, 2)]
    [InlineData(60.0, 60)]
    public void WaitRoundsUpToWholeSecondsAndIsNeverZero(double seconds, int expected)
    {
        Assert.Equal(expected, PgCtlCommand.WaitSeconds(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void PidComesFromPostmasterPidFirst()
    {
        const string pidFile = "4242\n/pg/data\n1700000000\n5432\n/tmp\n127.0.0.1\n  1234 5678\nready   \n";
        Assert.Equal(4242, PgCtlCommand.PostmasterPid(pidFile, "pg_ctl: server is running (PID: 99)\n"));
    }

    [Fact]
    public void PidFallsBackToWhatPgCtlStatusPrints()
    {
        Assert.Equal(99, PgCtlCommand.PostmasterPid(null, "pg_ctl: server is running (PID: 99)\n/usr/lib/postgresql/15/bin/postgres \"-D\" \"/pg/data\"\n"));
        Assert.Equal(99, PgCtlCommand.PostmasterPid("garbage", "pg_ctl: server is running (PID: 99)\n"));
        Assert.Null(PgCtlCommand.PostmasterPid(null, "pg_ctl: no server running\n"));
    }

    [Fact]
    public void TailKeepsTheLastNonEmptyLines()
    {
        string log = string.Join("\r\n", Enumerable.Range(1, 30).Select(i => $"line {i}")) + "\n\n";
        string tail = PgCtlCommand.Tail(log, 3);
        Assert.Equal("line 28\nline 29\nline 30", tail);
        Assert.Equal("only", PgCtlCommand.Tail("only\n", 20));
        Assert.Equal(string.Empty, PgCtlCommand.Tail(string.Empty, 20));
    }

    [Theory]
    [InlineData("in production", true)]
    [InlineData("in archive recovery", false)]
    [InlineData("shut down", false)]
    [InlineData("shut down in recovery", false)]
    public void OnlyInProductionCountsAsARunningPrimary(string clusterState, bool inProduction)
    {
        var state = new NodeRunState(true, 1, new PgControlData("7300000000000000001", clusterState, 1, null));
        Assert.Equal(inProduction, state.InProduction);
        Assert.False(new NodeRunState(true, 1, null).InProduction);
    }
}
