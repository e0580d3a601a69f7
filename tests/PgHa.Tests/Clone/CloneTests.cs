using System.Collections;
using System.Management.Automation;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Clone;

/// <summary>New-PgHaStandby against a real registered primary: local, cascading, checks, -WhatIf, -Force and its limits.</summary>
public sealed class CloneTests : IClassFixture<PgHaSession>, IAsyncLifetime
{
    private readonly PgHaSession _session;
    private ReplicatedServers _servers = null!;
    private readonly List<PostgresServer> _clones = [];

    public CloneTests(PgHaSession session) => _session = session;

    private PostgresServer Primary => _servers.Primary;

    private string PrimaryConninfo => ReplicatedServers.NodeConninfo(Primary);

    public async Task InitializeAsync()
    {
        _servers = await ReplicatedServers.StartAsync("clone", standbyCount: 0);
        _session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -DataDirectory $args[1]", PrimaryConninfo, Primary.DataDirectory).ThrowIfErrors();
        await Primary.ExecuteAsync("CREATE TABLE cloned (id int); INSERT INTO cloned VALUES (42)");
    }

    public async Task DisposeAsync()
    {
        foreach (var clone in _clones)
        {
            await clone.DisposeAsync();
        }
        await _servers.DisposeAsync();
    }

    private async Task<PostgresServer> ReserveAsync(string name)
    {
        var server = await PostgresServer.ReserveAsync(name);
        _clones.Add(server);
        return server;
    }

    private RunResult Clone(string source, PostgresServer target, string extra = "") =>
        _session.RunWith(
            $"Get-PgHaNode -Conninfo $cluster -Name $source | New-PgHaStandby -Name $name -DataDirectory $dir -Conninfo $conninfo -ServerSettings $settings -Confirm:$false {extra}",
            new Hashtable
            {
                ["cluster"] = PrimaryConninfo,
                ["source"] = source,
                ["name"] = target.Name,
                ["dir"] = target.DataDirectory,
                ["conninfo"] = ReplicatedServers.NodeConninfo(target),
                ["settings"] = target.NodeSettings,
            });

    [Fact]
    public async Task ClonesStartsAndRegistersAStandbyThenACascadingOne()
    {
        var node2 = await ReserveAsync("clone2");
        var result = Clone("node1", node2, "-Register -UseReplicationSlot").ThrowIfErrors();
        dynamic clone = result.Single().BaseObject;
        Assert.True((bool)clone.Started);
        Assert.True((bool)clone.Registered);
        Assert.Equal("node1", (string)clone.Source);
        Assert.Equal("pgha_clone2", (string)clone.SlotName);
        Assert.False((bool)clone.Replaced);
        Assert.DoesNotContain("password", (string)clone.PrimaryConninfo, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("application_name=clone2", (string)clone.PrimaryConninfo, StringComparison.Ordinal);
        Assert.All((IEnumerable<object>)clone.Checks, c => Assert.NotEqual("Failed", ((dynamic)c).Status.ToString()));

        Assert.Equal("42", await node2.QueryScalarAsync("SELECT id FROM cloned"));
        Assert.Equal("t", await node2.QueryScalarAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal("clone2", await Primary.QueryScalarAsync("SELECT application_name FROM pg_stat_replication"));
        Assert.Equal("t", await Primary.QueryScalarAsync("SELECT active FROM pg_replication_slots WHERE slot_name = 'pgha_clone2'"));
        Assert.False(File.Exists(Path.Combine(node2.DataDirectory, "pgha.clone-incomplete")));
        Assert.True(File.Exists(Path.Combine(node2.DataDirectory, "standby.signal")));

        // Cascading: clone a third node from the standby.
        var node3 = await ReserveAsync("clone3");
        Clone("clone2", node3, "-Register").ThrowIfErrors();
        var cluster = _session.Run("Get-PgHaNode -Conninfo $args[0]", PrimaryConninfo).ThrowIfErrors().Output;
        dynamic third = cluster.Single(n => (string)n.Properties["Name"].Value == "clone3").BaseObject;
        Assert.Equal("clone2", (string)third.Upstream);
        Assert.True((bool)third.AttachedToUpstream);
        Assert.Equal("Running", third.Status.ToString());

        var events = _session.Run("Get-PgHaEvent -Conninfo $args[0] -Event standby_clone", PrimaryConninfo).ThrowIfErrors().Output;
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.True((bool)e.Properties["Successful"].Value));
    }

    [Fact]
    public async Task ClonesOverSshWithAVerifiedHostKey()
    {
        await using var sshd = await SshServer.StartAsync();
        string knownHosts = Path.Combine(TestDirectories.Root, "known_hosts-" + Guid.NewGuid().ToString("N"));
        sshd.WriteKnownHosts(knownHosts);
        try
        {
            var target = await ReserveAsync("clonessh");
            dynamic clone = Clone("node1", target, $"-Register -SshHost {sshd.Address} -SshPort {sshd.Port} -SshKeyFile {sshd.ClientKeyPath} -KnownHostsFile {knownHosts}")
                .ThrowIfErrors().Single().BaseObject;
            Assert.StartsWith("ssh postgres@" + sshd.Address, (string)clone.Host, StringComparison.Ordinal);
            Assert.True((bool)clone.Registered);
            Assert.Equal("42", await target.QueryScalarAsync("SELECT id FROM cloned"));
            Assert.Equal(sshd.Address, await Primary.QueryScalarAsync("SELECT ssh_host FROM pgha.nodes WHERE node_name = 'clonessh'", "pgha"));
            // Survey, guard, pg_basebackup, the standby's files and its start: all over the command's one login.
            Assert.Single(File.ReadAllLines(sshd.LogFile), line => line.Contains("Accepted publickey for postgres", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(knownHosts);
        }
    }

    [Fact]
    public async Task WhatIfReportsTheChecksAndWritesNothing()
    {
        var target = await ReserveAsync("clonewi");
        string before = await _servers.MetadataFingerprintAsync();
        var result = Clone("node1", target, "-Register -WhatIf").ThrowIfErrors();
        Assert.Contains("What if: Performing the operation \"Clone node1 into", result.HostText);
        var checks = result.Output.Select(o => (string)o.Properties["Check"].Value).ToList();
        Assert.Equal(["SourceReachable", "WalSenders", "WalLevel", "Rewind", "Checkpoint", "NodeName", "MajorVersion", "ReplicationAccess", "TargetDirectory", "DiskSpace"], checks);
        Assert.All(result.Output, o => Assert.Equal("Passed", o.Properties["Status"].Value.ToString()));
        Assert.False(Directory.Exists(target.DataDirectory));
        Assert.Equal(before, await _servers.MetadataFingerprintAsync());
    }

    [Fact]
    public async Task EachFailedCheckHasItsOwnErrorId()
    {
        var target = await ReserveAsync("clonebad");
        AssertCloneError(Clone("node1", target, "-PgBinDir /nonexistent/bin"), "PgHaCloneProgramNotFound");
        AssertCloneError(Clone("node1", target, "-ReplicationUser nosuchrole"), "PgHaCloneReplicationRefused");
        AssertCloneError(_session.Run("New-PgHaStandby -SourceConninfo 'host=127.0.0.250 port=1 dbname=pgha' -Name x -DataDirectory /tmp/pgha-tests/never -ConnectTimeout 2"), "PgHaCloneSourceUnreachable");

        // A fake bindir whose pg_basebackup is of another major version.
        string fakeBin = Path.Combine(TestDirectories.Root, "fake-bin-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(fakeBin);
        try
        {
            foreach (string program in new[] { "pg_basebackup", "pg_ctl", "psql", "pg_controldata" })
            {
                string path = Path.Combine(fakeBin, program);
                File.WriteAllText(path, "#!/bin/sh\necho \"" + program + " (PostgreSQL) 14.11\"\n");
                await FixtureCommand.RunCheckedAsync("chmod", ["0755", path]);
            }
            AssertCloneError(Clone("node1", target, "-PgBinDir $args[0]".Replace("$args[0]", fakeBin)), "PgHaCloneVersionMismatch");
        }
        finally
        {
            Directory.Delete(fakeBin, recursive: true);
        }

        // A source that cannot serve a clone at all: three checks fail, each with its own error.
        var minimal = await PostgresServer.InitPrimaryAsync("clonemin", new Dictionary<string, string>
        {
            ["wal_level"] = "minimal",
            ["max_wal_senders"] = "0",
            ["max_replication_slots"] = "0",
        });
        _clones.Add(minimal);
        var result = _session.Run("New-PgHaStandby -SourceConninfo $args[0] -Name x -DataDirectory $args[1] -UseReplicationSlot", minimal.Conninfo, target.DataDirectory);
        Assert.Equal(
            ["PgHaCloneWalSendersExhausted", "PgHaCloneWalLevel", "PgHaCloneSlotsExhausted"],
            result.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]).Where(id => id is not "PgHaCloneReplicationRefused").ToList());
        Assert.Empty(result.Output);
        Assert.False(Directory.Exists(target.DataDirectory));
    }

    [Fact]
    public async Task ForceReplacesAStoppedNodeButNeverARunningServerOrThePrimary()
    {
        var node = await ReserveAsync("cloneforce");
        Clone("node1", node, "-Start").ThrowIfErrors();

        // Not empty: refused without -Force.
        await node.StopAsync();
        AssertCloneError(Clone("node1", node), "PgHaCloneTargetNotEmpty");

        // Running: refused even with -Force, nothing deleted.
        await node.StartAsync();
        AssertCloneError(Clone("node1", node, "-Force"), "PgHaDirectoryIsRunningServer");
        Assert.True(File.Exists(Path.Combine(node.DataDirectory, "PG_VERSION")));

        // The primary's own data directory (stopped for the test, cloning from the standby): refused.
        await Primary.StopAsync();
        try
        {
            var onPrimary = _session.RunWith("New-PgHaStandby -SourceConninfo $source -Name node1 -DataDirectory $dir -Force -ConnectTimeout 2 -Confirm:$false",
                new Hashtable { ["source"] = ReplicatedServers.NodeConninfo(node), ["dir"] = Primary.DataDirectory });
            AssertCloneError(onPrimary, "PgHaDirectoryOfPrimary");
            Assert.True(File.Exists(Path.Combine(Primary.DataDirectory, "global", "pg_control")));
        }
        finally
        {
            await Primary.StartAsync();
        }
        await ReplicatedServers.WaitForStreamingAsync(node);

        // A stopped standby is rebuilt in one line.
        await node.StopAsync();
        dynamic rebuilt = Clone("node1", node, "-Force -Register").ThrowIfErrors().Single().BaseObject;
        Assert.True((bool)rebuilt.Replaced);
        Assert.True((bool)rebuilt.Started);
        Assert.Equal("42", await node.QueryScalarAsync("SELECT id FROM cloned"));
    }

    [Fact]
    public async Task ACloneKilledHalfWayLeavesADirectoryMarkedIncomplete()
    {
        // Enough data, read slowly, that the copy is still running when pg_basebackup is killed.
        await Primary.ExecuteAsync("CREATE TABLE bulk AS SELECT g AS id, repeat('x', 500) AS filler FROM generate_series(1, 60000) g");
        var target = await ReserveAsync("clonekill");
        var killer = Task.Run(async () =>
        {
            bool marked = await Polling.UntilAsync(() => File.Exists(Path.Combine(target.DataDirectory, "pgha.clone-incomplete")), TimeSpan.FromSeconds(60));
            // The copy and its WAL-streaming child, not the runuser wrapper around them.
            foreach (int pid in LinuxProcesses.WithCommandLineContaining(target.DataDirectory).Where(p => CommandNameOf(p) == "pg_basebackup"))
            {
                LinuxProcesses.KillHard(pid);
            }
            return marked;
        });
        var result = Clone("node1", target, "-MaxRate 1M");
        Assert.True(await killer, "the clone never marked its directory");

        Assert.Equal("PgHaCloneFailed,PgHa.Cmdlets.NewPgHaStandbyCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
        Assert.True(File.Exists(Path.Combine(target.DataDirectory, "pgha.clone-incomplete")));
        Assert.True(File.Exists(Path.Combine(target.DataDirectory, "standby.signal")));
        var refused = _session.Run("Start-PgHaNode -DataDirectory $args[0]", target.DataDirectory);
        Assert.Equal("PgHaDataDirectoryIncomplete,PgHa.Cmdlets.StartPgHaNodeCommand", Assert.Single(refused.Errors).FullyQualifiedErrorId);
        var failed = _session.Run("Get-PgHaEvent -Conninfo $args[0] -Event standby_clone -Successful $false", PrimaryConninfo).ThrowIfErrors().Output;
        Assert.Contains(failed, e => (string)e.Properties["NodeName"].Value == "clonekill");
    }

    /// <summary>The process's name, or empty when it ended meanwhile (short-lived helpers come and go).</summary>
    private static string CommandNameOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static void AssertCloneError(RunResult result, string errorId)
    {
        Assert.Empty(result.Output);
        Assert.Contains(result.Errors, e => e.FullyQualifiedErrorId == errorId + ",PgHa.Cmdlets.NewPgHaStandbyCommand");
        Assert.All(result.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Exception.Message)));
    }
}
