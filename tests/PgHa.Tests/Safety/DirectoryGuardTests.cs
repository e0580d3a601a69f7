using System.Collections;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Safety;

/// <summary>
/// Issue 14's matrix against real servers: every way of naming a directory that belongs to a running
/// server (registered or not), to the primary, or to their tablespaces and WAL, is refused by clone
/// (New-PgHaStandby -Force -AllowNonEmpty), rejoin (Invoke-PgHaRejoin -ForceRewind) and sandbox removal
/// (Remove-PgHaSandbox of a folder with a manifest), each case through each command, with its own ErrorId;
/// afterwards the servers still run and every file is still there. The primary's rule is also proven on its
/// own, on a registered primary directory no server runs on. All cases share one set of servers
/// (<see cref="GuardedHostFixture"/>).
/// </summary>
public sealed class DirectoryGuardTests : IClassFixture<GuardedHostFixture>
{
    private readonly GuardedHostFixture _host;

    public DirectoryGuardTests(GuardedHostFixture host) => _host = host;

    private PgHaSession Session => _host.Session;

    private RunResult Clone(string dataDirectory, string extra = "") =>
        Session.RunWith(
            $"Get-PgHaNode -Conninfo $cluster -Name node1 | New-PgHaStandby -Name node3 -DataDirectory $dir -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -Force -AllowNonEmpty -Confirm:$false {extra}",
            new Hashtable { ["cluster"] = _host.PrimaryConninfo, ["dir"] = dataDirectory });

    private static void AssertRefused(RunResult result, string errorId, string cmdlet)
    {
        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal($"{errorId},PgHa.Cmdlets.{cmdlet}", error.FullyQualifiedErrorId);
        if (errorId.StartsWith("PgHaDirectory", StringComparison.Ordinal))
        {
            Assert.Contains("nothing was", error.Exception.Message, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string> CloneCases => new()
    {
        { "same directory", "PgHaDirectoryIsRunningServer" },
        { "parent", "PgHaDirectoryContainsRunningServer" },
        { "grandparent", "PgHaDirectoryContainsRunningServer" },
        { "child", "PgHaDirectoryInsideRunningServer" },
        { "new folder inside", "PgHaDirectoryInsideRunningServer" },
        { "symlink to it", "PgHaDirectoryIsRunningServer" },
        { "path with ..", "PgHaDirectoryContainsRunningServer" },
        { "tablespace", "PgHaDirectoryHoldsTablespace" },
        { "relocated pg_wal", "PgHaDirectoryHoldsWal" },
        { "parent of relocated pg_wal", "PgHaDirectoryHoldsWal" },
        { "primary's directory", "PgHaDirectoryOfPrimary" },
        { "primary's parent", "PgHaDirectoryOfPrimary" },
    };

    private string PathFor(string name) => name switch
    {
        "same directory" => _host.OtherData,
        "parent" => _host.OtherParent,
        "grandparent" => _host.Nest,
        "child" => Path.Combine(_host.OtherData, "base"),
        "new folder inside" => Path.Combine(_host.OtherData, "standby"),
        "symlink to it" => _host.Link,
        "path with .." => _host.OtherData + "/base/../..",
        "tablespace" => _host.Tablespace,
        "relocated pg_wal" => _host.Wal,
        "parent of relocated pg_wal" => _host.WalParent,
        "primary's directory" => _host.Primary.DataDirectory,
        "primary's parent" => _host.Primary.RootDirectory,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(CloneCases))]
    public async Task CloneWithForceAndAllowNonEmptyDeletesNothingThatBelongsToAServer(string @case, string errorId)
    {
        AssertRefused(Clone(PathFor(@case)), errorId, "NewPgHaStandbyCommand");
        Assert.False(Directory.Exists(Path.Combine(_host.OtherData, "standby")));
        await _host.AssertIntactAsync();
    }

    /// <summary>
    /// The same paths registered as a stopped standby's data directory: Invoke-PgHaRejoin -ForceRewind would
    /// rewind and rewrite it. A rejoin only takes a directory with PG_VERSION (else PgHaDataDirectoryNotFound),
    /// so each path gets one for the case. A path that is a running server's own directory is taken for the
    /// node running (pg_ctl status finds its postmaster) and refused as such, before any file is touched; every
    /// other one is the guard's refusal.
    /// </summary>
    public static TheoryData<string, string> RejoinCases => new()
    {
        { "same directory", "PgHaRejoinNodeRunning" },
        { "parent", "PgHaDirectoryContainsRunningServer" },
        { "grandparent", "PgHaDirectoryContainsRunningServer" },
        { "child", "PgHaDirectoryInsideRunningServer" },
        { "symlink to it", "PgHaRejoinNodeRunning" },
        { "path with ..", "PgHaDirectoryContainsRunningServer" },
        { "tablespace", "PgHaDirectoryHoldsTablespace" },
        { "relocated pg_wal", "PgHaDirectoryHoldsWal" },
        { "parent of relocated pg_wal", "PgHaDirectoryHoldsWal" },
        { "primary's directory", "PgHaRejoinNodeRunning" },
        { "primary's parent", "PgHaDirectoryOfPrimary" },
    };

    [Theory]
    [MemberData(nameof(RejoinCases))]
    public async Task RejoinWithForceRewindDeletesNothingThatBelongsToAServer(string @case, string errorId)
    {
        string path = PathFor(@case);
        string version = Path.Combine(Path.GetFullPath(new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path), "PG_VERSION");
        bool planted = !File.Exists(version);
        if (planted)
        {
            await File.WriteAllTextAsync(version, "15\n");
            await FixtureCommand.RunCheckedAsync("chmod", ["0644", version]);
        }
        try
        {
            AssertRefused(await RejoinGhostAsync(path), errorId, "InvokePgHaRejoinCommand");
            await _host.AssertIntactAsync();
        }
        finally
        {
            if (planted)
            {
                File.Delete(version);
            }
        }
    }

    /// <summary>
    /// Remove-PgHaSandbox given each path as a sandbox folder with a manifest of its own (whose one node lies
    /// below it, as New-PgHaSandbox writes them): the running servers around it are not the manifest's, so
    /// nothing is stopped or deleted, and the manifest is still there.
    /// </summary>
    public static TheoryData<string, string> RemovalCases => new()
    {
        { "same directory", "PgHaDirectoryIsRunningServer" },
        { "parent", "PgHaDirectoryContainsRunningServer" },
        { "grandparent", "PgHaDirectoryContainsRunningServer" },
        { "child", "PgHaDirectoryInsideRunningServer" },
        { "symlink to it", "PgHaDirectoryIsRunningServer" },
        { "path with ..", "PgHaDirectoryContainsRunningServer" },
        { "tablespace", "PgHaDirectoryHoldsTablespace" },
        { "relocated pg_wal", "PgHaDirectoryHoldsWal" },
        { "parent of relocated pg_wal", "PgHaDirectoryHoldsWal" },
        { "primary's directory", "PgHaDirectoryIsRunningServer" },
        { "primary's parent", "PgHaDirectoryContainsRunningServer" },
    };

    [Theory]
    [MemberData(nameof(RemovalCases))]
    public async Task SandboxRemovalOfAFolderWithAServerInOrAroundItDeletesNothing(string @case, string errorId)
    {
        string folder = PathFor(@case);
        // Where the host finds the manifest: the folder as the shell resolves it.
        string manifest = Path.Combine(Path.GetFullPath(new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? folder), "pgha-sandbox.json");
        await WriteManifestAsync(manifest, Path.GetFullPath(folder).TrimEnd('/') + "/node1/data");
        try
        {
            AssertRefused(Session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", folder), errorId, "RemovePgHaSandboxCommand");
            Assert.True(File.Exists(manifest), $"{manifest} is gone.");
            await _host.AssertIntactAsync();
        }
        finally
        {
            File.Delete(manifest);
        }
    }

    /// <summary>
    /// The primary's rule on its own, not behind "a running server": the registered primary's data directory
    /// with no server running on it (the primary is stopped, or its record names a directory it no longer
    /// runs from) is refused to a clone with -Force and to a rejoin of a node registered there.
    /// </summary>
    [Fact]
    public async Task TheRegisteredPrimarysDirectoryIsRefusedWhenNoServerRunsOnIt()
    {
        string stopped = Path.Combine(_host.Nest, "stopped-primary");
        await GuardedHostFixture.AsPostgresAsync(Path.Combine(PostgresServer.BinDirectory, "initdb"), "-D", stopped, "-A", "trust", "-U", "postgres", "--no-sync", "--locale=C.UTF-8");
        await _host.Primary.ExecuteAsync($"UPDATE pgha.nodes SET data_directory = '{stopped}' WHERE node_name = 'node1'", "pgha");
        try
        {
            var clone = Clone(stopped);
            AssertRefused(clone, "PgHaDirectoryOfPrimary", "NewPgHaStandbyCommand");
            Assert.Contains("current primary", clone.Errors[0].Exception.Message, StringComparison.Ordinal);

            AssertRefused(await RejoinGhostAsync(stopped), "PgHaDirectoryOfPrimary", "InvokePgHaRejoinCommand");
            Assert.True(File.Exists(Path.Combine(stopped, "global", "pg_control")), "The stopped primary's pg_control is gone.");
            Assert.True(File.Exists(Path.Combine(stopped, "PG_VERSION")), "The stopped primary's PG_VERSION is gone.");
            await _host.AssertIntactAsync();
        }
        finally
        {
            await _host.Primary.ExecuteAsync($"UPDATE pgha.nodes SET data_directory = '{_host.Primary.DataDirectory}' WHERE node_name = 'node1'", "pgha");
        }
    }

    /// <summary>Invoke-PgHaRejoin -ForceRewind of a stopped standby 'ghost' registered with <paramref name="dataDirectory"/>, its record removed again.</summary>
    private async Task<RunResult> RejoinGhostAsync(string dataDirectory)
    {
        await _host.Primary.ExecuteAsync(
            $"INSERT INTO pgha.nodes (node_id, node_name, role, upstream_node_id, conninfo, data_directory) VALUES (40, 'ghost', 'standby', 1, 'host=127.0.0.1 port=1 dbname=pgha connect_timeout=2', '{dataDirectory}')", "pgha");
        try
        {
            return Session.Run("Invoke-PgHaRejoin -Name ghost -Conninfo $args[0] -ForceRewind -Confirm:$false", _host.PrimaryConninfo);
        }
        finally
        {
            await _host.Primary.ExecuteAsync("DELETE FROM pgha.nodes WHERE node_id = 40", "pgha");
        }
    }

    [Fact]
    public async Task OverSshThePrimarysRunningDirectoryIsRefusedOnItsHost()
    {
        var result = Clone(_host.Primary.DataDirectory,
            $"-SshHost {_host.Ssh.Address} -SshPort {_host.Ssh.Port} -SshKeyFile {_host.Ssh.ClientKeyPath} -KnownHostsFile {_host.KnownHostsFile}");
        AssertRefused(result, "PgHaDirectoryIsRunningServer", "NewPgHaStandbyCommand");
        Assert.Contains("on ssh postgres@" + _host.Ssh.Address, result.Errors[0].Exception.Message, StringComparison.Ordinal);
        await _host.AssertIntactAsync();
    }

    [Fact]
    public async Task ANonEmptyDirectoryThatIsNotADataDirectoryNeedsAllowNonEmpty()
    {
        string mine = Path.Combine(_host.Nest, "mine");
        await GuardedHostFixture.AsPostgresAsync("mkdir", "-p", mine);
        await GuardedHostFixture.AsPostgresAsync("sh", "-c", "echo thesis > \"$1\"", "sh", Path.Combine(mine, "thesis.txt"));

        var withForce = Session.RunWith(
            "Get-PgHaNode -Conninfo $cluster -Name node1 | New-PgHaStandby -Name node3 -DataDirectory $dir -Force -Confirm:$false",
            new Hashtable { ["cluster"] = _host.PrimaryConninfo, ["dir"] = mine });
        AssertRefused(withForce, "PgHaDirectoryNotDataDirectory", "NewPgHaStandbyCommand");
        Assert.Contains("'thesis.txt'", withForce.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Contains("-AllowNonEmpty", withForce.Errors[0].Exception.Message, StringComparison.Ordinal);

        // With its own switch the checks pass (-WhatIf: nothing is written either way).
        var allowed = Clone(mine, "-WhatIf");
        Assert.Empty(allowed.Errors);
        Assert.Equal("Warning", allowed.Output.Single(c => (string)c.Properties["Check"].Value == "TargetDirectory").Properties["Status"].Value.ToString());
        Assert.Equal("thesis\n", await File.ReadAllTextAsync(Path.Combine(mine, "thesis.txt")));
        await _host.AssertIntactAsync();
    }

    [Fact]
    public async Task RejoinRefusesAStoppedNodeWhoseDirectoryLiesInARunningServer()
    {
        // A stopped, complete data directory, registered as a standby, that sits inside the unregistered server's.
        string nested = Path.Combine(_host.OtherData, "old-node");
        await GuardedHostFixture.AsPostgresAsync(Path.Combine(PostgresServer.BinDirectory, "initdb"), "-D", nested, "-A", "trust", "-U", "postgres", "--no-sync", "--locale=C.UTF-8");
        await _host.Primary.ExecuteAsync(
            $"INSERT INTO pgha.nodes (node_id, node_name, role, upstream_node_id, conninfo, data_directory) VALUES (40, 'ghost', 'standby', 1, 'host=127.0.0.1 port=1 dbname=pgha', '{nested}')", "pgha");
        try
        {
            var result = Session.Run("Invoke-PgHaRejoin -Name ghost -Conninfo $args[0] -ForceRewind -Confirm:$false", _host.PrimaryConninfo);
            AssertRefused(result, "PgHaDirectoryInsideRunningServer", "InvokePgHaRejoinCommand");
            Assert.True(File.Exists(Path.Combine(nested, "global", "pg_control")));
            await _host.AssertIntactAsync();
        }
        finally
        {
            await _host.Primary.ExecuteAsync("DELETE FROM pgha.nodes WHERE node_id = 40", "pgha");
        }
    }

    [Fact]
    public async Task SandboxRemovalStopsAndDeletesNothingAroundAServerItDidNotStart()
    {
        // A manifest in the unregistered server's parent: the folder holds a server the manifest does not list.
        string manifest = Path.Combine(_host.OtherParent, "pgha-sandbox.json");
        await WriteManifestAsync(manifest, Path.Combine(_host.OtherParent, "node1", "data"));
        try
        {
            AssertRefused(Session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", _host.OtherParent), "PgHaDirectoryContainsRunningServer", "RemovePgHaSandboxCommand");
            Assert.True(File.Exists(manifest));
        }
        finally
        {
            File.Delete(manifest);
        }

        // A manifest that reaches out of its folder with "..", or through a link, names no server of its own.
        string forged = Path.Combine(_host.Nest, "forged");
        await GuardedHostFixture.AsPostgresAsync("mkdir", "-p", forged);
        File.CreateSymbolicLink(Path.Combine(forged, "node2"), _host.OtherParent);
        foreach (string dataDirectory in new[] { forged + "/../p/data", Path.Combine(forged, "node2", "data") })
        {
            await WriteManifestAsync(Path.Combine(forged, "pgha-sandbox.json"), dataDirectory);
            AssertRefused(Session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", forged), "PgHaSandboxNotFound", "RemovePgHaSandboxCommand");
            Assert.True(Directory.Exists(forged));
        }

        // An etcd member's data directory or log file through that link: resolved on the host, refused too.
        foreach (var (etcdData, etcdLog) in new[] { (Path.Combine(forged, "node2", "etcd"), Path.Combine(forged, "etcd1.log")), (Path.Combine(forged, "etcd1"), Path.Combine(forged, "node2", "etcd1.log")) })
        {
            await WriteManifestAsync(Path.Combine(forged, "pgha-sandbox.json"), Path.Combine(forged, "node1", "data"), (etcdData, etcdLog));
            var refused = Session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", forged);
            AssertRefused(refused, "PgHaSandboxNotFound", "RemovePgHaSandboxCommand");
            Assert.Contains("etcd", refused.Errors[0].Exception.Message, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(forged, "pgha-sandbox.json")));
        }
        await _host.AssertIntactAsync();
    }

    [Fact]
    public async Task SandboxRemovalStopsByPidAServerWhoseFolderIsGone()
    {
        string sandbox = await TestDirectories.CreateAsync("guardsb", FixtureCommand.PostgresUser);
        string address = LoopbackAddresses.Reserve();
        try
        {
            string data = Path.Combine(sandbox, "node1", "data");
            await GuardedHostFixture.AsPostgresAsync("mkdir", "-p", Path.Combine(sandbox, "node1"));
            int pid = await GuardedHostFixture.StartUnregisteredAsync(data, address, LoopbackAddresses.FreePort(address), sandbox, Path.Combine(sandbox, "node1.log"));
            await WriteManifestAsync(Path.Combine(sandbox, "pgha-sandbox.json"), data);

            // What the issue saw: the folder deleted under a running server. pg_ctl cannot stop it any more.
            Directory.Delete(Path.Combine(sandbox, "node1"), recursive: true);
            Assert.True(LinuxProcesses.IsAlive(pid));

            Session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", sandbox).ThrowIfErrors();
            Assert.True(await Polling.UntilAsync(() => !LinuxProcesses.Exists(pid), TimeSpan.FromSeconds(20)), $"postmaster {pid} still runs");
            Assert.False(Directory.Exists(sandbox));
            await _host.AssertIntactAsync();
        }
        finally
        {
            foreach (int leftover in LinuxProcesses.WithCommandLineContaining(sandbox + "/"))
            {
                LinuxProcesses.KillHard(leftover);
            }
            TestDirectories.Delete(sandbox);
            LoopbackAddresses.Release(address);
        }
    }

    private static async Task WriteManifestAsync(string path, string dataDirectory, (string DataDirectory, string LogFile)? etcd = null)
    {
        object[] members = etcd is { } member
            ? [new { Name = "etcd1", Address = "127.0.0.1", ClientPort = 1, PeerPort = 2, member.DataDirectory, member.LogFile }]
            : [];
        string json = System.Text.Json.JsonSerializer.Serialize(new
        {
            CreatedBy = "New-PgHaSandbox",
            PgBinDir = PostgresServer.BinDirectory,
            Nodes = new[] { new { Name = "node1", Role = "primary", Address = "127.0.0.1", Port = 1, DataDirectory = dataDirectory } },
            Etcd = members,
        });
        await File.WriteAllTextAsync(path, json);
        // The manifest is read as the PostgreSQL OS user.
        await FixtureCommand.RunCheckedAsync("chmod", ["0644", path]);
    }
}
