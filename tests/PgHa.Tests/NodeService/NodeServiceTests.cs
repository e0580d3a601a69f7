using System.Management.Automation;
using System.Management.Automation.Runspaces;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.NodeService;

/// <summary>
/// Start-, Stop- and Restart-PgHaNode against real servers. Every test leaves both servers running and
/// the standby streaming, because the tests of this class share them.
/// </summary>
public sealed class NodeServiceTests : IClassFixture<NodeServiceFixture>
{
    private readonly NodeServiceFixture _fixture;

    public NodeServiceTests(NodeServiceFixture fixture) => _fixture = fixture;

    private PgHaSession Session => _fixture.Session;

    private PostgresServer Primary => _fixture.Servers.Primary;

    private PostgresServer Standby => _fixture.Servers.Standbys[0];

    private string[] Conninfos => _fixture.Conninfos;

    private static T Property<T>(PSObject result, string name) => (T)result.Properties[name].Value;

    [Fact]
    public async Task StopThroughThePipelineThenAgainThenStartByName()
    {
        int pid = Standby.Pid ?? throw new InvalidOperationException("The standby is not running.");

        var stopped = Session.Run("Get-PgHaNode -Conninfo $args[0] -Name node2 | Stop-PgHaNode -Mode Fast -Verbose", (object)Conninfos).ThrowIfErrors();
        PSObject stop = stopped.Single();
        Assert.Equal("node2", Property<string>(stop, "Node"));
        Assert.Equal("Stop", stop.Properties["Action"].Value.ToString());
        Assert.Equal("Fast", stop.Properties["Mode"].Value.ToString());
        Assert.True(Property<bool>(stop, "WasRunning"));
        Assert.False(Property<bool>(stop, "IsRunning"));
        Assert.True(Property<bool>(stop, "Changed"));
        Assert.Null(stop.Properties["Pid"].Value);
        Assert.Equal(Standby.DataDirectory, Property<string>(stop, "DataDirectory"));
        Assert.Equal("local", Property<string>(stop, "Host"));
        Assert.Contains(stopped.Verbose, line => line.Contains("pg_ctl stop", StringComparison.Ordinal) && line.Contains("-m fast", StringComparison.Ordinal));
        Assert.Null(Standby.Pid);
        Assert.True(await Polling.UntilAsync(() => !LinuxProcesses.Exists(pid), TimeSpan.FromSeconds(10)), $"postmaster {pid} still exists");

        PSObject again = Session.Run("Stop-PgHaNode -Conninfo $args[0] -Name node2", (object)Conninfos).ThrowIfErrors().Single();
        Assert.False(Property<bool>(again, "Changed"));
        Assert.False(Property<bool>(again, "WasRunning"));

        var started = Session.Run("Start-PgHaNode -Conninfo $args[0] -Name node2 -Verbose", (object)Conninfos).ThrowIfErrors();
        PSObject start = started.Single();
        Assert.True(Property<bool>(start, "Changed"));
        Assert.False(Property<bool>(start, "WasRunning"));
        Assert.True(Property<bool>(start, "IsRunning"));
        Assert.Null(start.Properties["Mode"].Value);
        Assert.Equal(Standby.DataDirectory + ".log", Property<string>(start, "LogFile"));
        Assert.Equal(Standby.Pid, (int?)start.Properties["Pid"].Value);
        Assert.Contains(started.Verbose, line => line.Contains("pg_ctl start", StringComparison.Ordinal) && line.Contains(" -l ", StringComparison.Ordinal));
        await ReplicatedServers.WaitForStreamingAsync(Standby);

        PSObject startAgain = Session.Run("Start-PgHaNode -Conninfo $args[0] -Name node2", (object)Conninfos).ThrowIfErrors().Single();
        Assert.False(Property<bool>(startAgain, "Changed"));
        Assert.Equal(Standby.Pid, (int?)startAgain.Properties["Pid"].Value);
    }

    [Fact]
    public async Task EachStopModeAndRestartWork()
    {
        string directory = Standby.DataDirectory;
        foreach (string mode in new[] { "Smart", "Immediate" })
        {
            PSObject stop = Session.Run("Stop-PgHaNode -DataDirectory $args[0] -Mode $args[1] -Wait 30", directory, mode).ThrowIfErrors().Single();
            Assert.Equal(mode, stop.Properties["Mode"].Value.ToString());
            Assert.True(Property<bool>(stop, "Changed"));
            Assert.Null(Standby.Pid);
            // A -DataDirectory node is named after its directory.
            Assert.Equal(directory, Property<string>(stop, "Node"));

            PSObject start = Session.Run("Start-PgHaNode -DataDirectory $args[0] -PgBinDir $args[1]", directory, PostgresServer.BinDirectory).ThrowIfErrors().Single();
            Assert.True(Property<bool>(start, "IsRunning"));
            await ReplicatedServers.WaitForStreamingAsync(Standby);
        }

        int before = Standby.Pid ?? throw new InvalidOperationException("The standby is not running.");
        PSObject restart = Session.Run("Restart-PgHaNode -Conninfo $args[0] -Name node2 -Mode Fast", (object)Conninfos).ThrowIfErrors().Single();
        Assert.Equal("Restart", restart.Properties["Action"].Value.ToString());
        Assert.True(Property<bool>(restart, "WasRunning"));
        Assert.True(Property<bool>(restart, "IsRunning"));
        Assert.True(Property<bool>(restart, "Changed"));
        int after = Assert.IsType<int>(restart.Properties["Pid"].Value);
        Assert.NotEqual(before, after);
        Assert.Equal(after, Standby.Pid);
        Assert.True(await Polling.UntilAsync(() => !LinuxProcesses.Exists(before), TimeSpan.FromSeconds(10)), $"old postmaster {before} still exists");
        await ReplicatedServers.WaitForStreamingAsync(Standby);
    }

    [Fact]
    public void WhatIfChangesNothing()
    {
        int standbyPid = Standby.Pid!.Value;
        int primaryPid = Primary.Pid!.Value;
        var stop = Session.Run("Stop-PgHaNode -Conninfo $args[0] -Name node2 -WhatIf", (object)Conninfos).ThrowIfErrors();
        Assert.Empty(stop.Output);
        Assert.Contains("What if: Performing the operation \"Stop the PostgreSQL server (mode Fast)", stop.HostText);
        // -WhatIf never reaches the primary's extra question, so it cannot prompt.
        var restart = Session.Run("Restart-PgHaNode -Conninfo $args[0] -Name node1 -WhatIf", (object)Conninfos).ThrowIfErrors();
        Assert.Empty(restart.Output);
        Assert.Contains("Restart the primary PostgreSQL server", restart.HostText);
        Assert.Equal(standbyPid, Standby.Pid);
        Assert.Equal(primaryPid, Primary.Pid);
    }

    [Fact]
    public async Task ThePrimaryStopsOnlyWithForceWhenTheHostCannotAsk()
    {
        int primaryPid = Primary.Pid!.Value;

        // -Confirm:$false answers ShouldProcess, not the primary's own question; this host cannot prompt.
        var refused = Session.Run("Stop-PgHaNode -Conninfo $args[0] -Name node1 -Confirm:$false", (object)Conninfos);
        Assert.Empty(refused.Output);
        ErrorRecord error = Assert.Single(refused.Errors);
        Assert.Equal("PgHaPrimaryConfirmationRequired,PgHa.Cmdlets.StopPgHaNodeCommand", error.FullyQualifiedErrorId);
        Assert.Contains("-Force", error.Exception.Message);
        // ShouldContinue hands the host's own refusal to prompt through unchanged (this test host throws NotSupportedException).
        Assert.IsType<NotSupportedException>(error.Exception.InnerException);
        Assert.Equal(primaryPid, Primary.Pid);

        // The same with a path: pg_control says "in production".
        var byPath = Session.Run("Restart-PgHaNode -DataDirectory $args[0] -Confirm:$false", Primary.DataDirectory);
        Assert.Equal("PgHaPrimaryConfirmationRequired,PgHa.Cmdlets.RestartPgHaNodeCommand", Assert.Single(byPath.Errors).FullyQualifiedErrorId);
        Assert.Equal(primaryPid, Primary.Pid);

        // A runspace with no host of its own (as a service embedding PowerShell has) refuses too.
        Assert.Equal("PgHaPrimaryConfirmationRequired", StopPrimaryWithoutHost());
        Assert.Equal(primaryPid, Primary.Pid);

        try
        {
            PSObject stop = Session.Run("Get-PgHaNode -Conninfo $args[0] -Name node1 | Stop-PgHaNode -Force -Confirm:$false", (object)Conninfos).ThrowIfErrors().Single();
            Assert.True(Property<bool>(stop, "Changed"));
            Assert.Null(Primary.Pid);
        }
        finally
        {
            // The metadata is read through the standby while the primary is down.
            PSObject start = Session.Run("Start-PgHaNode -Conninfo $args[0] -Name node1", (object)Conninfos).ThrowIfErrors().Single();
            Assert.True(Property<bool>(start, "IsRunning"));
        }
        await ReplicatedServers.WaitForStreamingAsync(Standby);
    }

    [Fact]
    public async Task AnIncompleteDataDirectoryIsNeverStarted()
    {
        string marker = Path.Combine(Standby.DataDirectory, "pgha.clone-incomplete");
        Session.Run("Stop-PgHaNode -Conninfo $args[0] -Name node2", (object)Conninfos).ThrowIfErrors();
        await File.WriteAllTextAsync(marker, "clone started\n");
        try
        {
            var refused = Session.Run("Start-PgHaNode -Conninfo $args[0] -Name node2", (object)Conninfos);
            ErrorRecord error = Assert.Single(refused.Errors);
            Assert.Equal("PgHaDataDirectoryIncomplete,PgHa.Cmdlets.StartPgHaNodeCommand", error.FullyQualifiedErrorId);
            Assert.Contains("New-PgHaStandby -Force", error.Exception.Message);
            Assert.Null(Standby.Pid);
        }
        finally
        {
            File.Delete(marker);
            Session.Run("Start-PgHaNode -Conninfo $args[0] -Name node2", (object)Conninfos).ThrowIfErrors();
        }
        await ReplicatedServers.WaitForStreamingAsync(Standby);

        // A directory with PG_VERSION but no global/pg_control is not a data directory to start either.
        string root = await TestDirectories.CreateAsync("svcempty", FixtureCommand.PostgresUser);
        try
        {
            string empty = Path.Combine(root, "data");
            await FixtureCommand.RunAsPostgresAsync("mkdir", ["-m", "700", empty]);
            await FixtureCommand.RunAsPostgresAsync("sh", ["-c", "echo 15 > \"$1/PG_VERSION\"", "sh", empty]);
            var noControl = Session.Run("Start-PgHaNode -DataDirectory $args[0]", empty);
            Assert.Equal("PgHaDataDirectoryIncomplete,PgHa.Cmdlets.StartPgHaNodeCommand", Assert.Single(noControl.Errors).FullyQualifiedErrorId);
            Assert.Contains("global/pg_control", noControl.Errors[0].Exception.Message);
        }
        finally
        {
            TestDirectories.Delete(root);
        }
    }

    [Fact]
    public async Task AFailedStartReportsTheEndOfTheLog()
    {
        string autoConf = Path.Combine(Standby.DataDirectory, "postgresql.auto.conf");
        string original = await File.ReadAllTextAsync(autoConf);
        Session.Run("Stop-PgHaNode -Conninfo $args[0] -Name node2", (object)Conninfos).ThrowIfErrors();
        try
        {
            await File.AppendAllTextAsync(autoConf, "this line is not a setting\n");
            var failed = Session.Run("Start-PgHaNode -Conninfo $args[0] -Name node2 -Wait 20", (object)Conninfos);
            ErrorRecord error = Assert.Single(failed.Errors);
            Assert.Equal("PgHaNodeStartFailed,PgHa.Cmdlets.StartPgHaNodeCommand", error.FullyQualifiedErrorId);
            // The log tail names the broken file, so the error alone tells what to fix.
            Assert.Contains("postgresql.auto.conf", error.Exception.Message);
            Assert.Contains(Standby.DataDirectory + ".log", error.Exception.Message);
            Assert.Null(Standby.Pid);
        }
        finally
        {
            await File.WriteAllTextAsync(autoConf, original);
            Session.Run("Start-PgHaNode -Conninfo $args[0] -Name node2", (object)Conninfos).ThrowIfErrors();
        }
        await ReplicatedServers.WaitForStreamingAsync(Standby);
    }

    [Fact]
    public void SeveralNodesInOnePipelineAndTheTableView()
    {
        // Both run already: nothing changes, one result per node, one error for the unknown name.
        var results = Session.Run("Start-PgHaNode -Conninfo $args[0] -Name node1, nosuch, node2", (object)Conninfos);
        Assert.Equal("PgHaNodeNotFound,PgHa.Cmdlets.StartPgHaNodeCommand", Assert.Single(results.Errors).FullyQualifiedErrorId);
        Assert.Equal(["node1", "node2"], results.Output.Select(r => Property<string>(r, "Node")));
        Assert.All(results.Output, r => Assert.False(Property<bool>(r, "Changed")));

        string table = Session.Run("Get-PgHaNode -Conninfo $args[0] | Start-PgHaNode | Out-Default", (object)Conninfos).ThrowIfErrors().HostText;
        string[] lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string header = Assert.Single(lines, line => line.StartsWith("Node", StringComparison.Ordinal));
        Assert.Matches(@"^Node\s+Action\s+Mode\s+WasRunning\s+IsRunning\s+Pid\s+Changed\s+Duration\(s\)$", header);
        Assert.Contains(lines, line => System.Text.RegularExpressions.Regex.IsMatch(line, $@"^node2\s+Start\s+True\s+True\s+{Standby.Pid}\s+False\s+\d+\.\d$"));
    }

    /// <summary>Stop-PgHaNode on the primary in a runspace created without a host; returns the ErrorId it failed with.</summary>
    private string StopPrimaryWithoutHost()
    {
        using Runspace runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        using PowerShell ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript("Import-Module -Name $args[0] -ErrorAction Stop; Stop-PgHaNode -Conninfo $args[1] -Name node1 -Confirm:$false")
            .AddArgument(RepositoryPaths.ModuleManifest).AddArgument(Conninfos);
        try
        {
            Assert.Empty(ps.Invoke());
        }
        catch (RuntimeException ex)
        {
            return "terminating: " + ex.ErrorRecord.FullyQualifiedErrorId + ": " + ex.Message;
        }
        ErrorRecord error = Assert.Single(ps.Streams.Error);
        // Without a host UI the engine's ShouldContinue throws HostException ("does not support user interaction").
        Assert.IsType<System.Management.Automation.Host.HostException>(error.Exception.InnerException);
        return error.FullyQualifiedErrorId.Split(',')[0];
    }
}
