using System.Text.RegularExpressions;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Sandbox;

/// <summary>New-PgHaSandbox and Remove-PgHaSandbox: a real cluster up and down, twice, leaving nothing behind.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SandboxTests : IClassFixture<PgHaSession>
{
    private readonly PgHaSession _session;

    public SandboxTests(PgHaSession session) => _session = session;

    [Fact]
    public async Task UpAndDownTwiceLeavesNoProcessAndNoFolder()
    {
        for (int round = 1; round <= 2; round++)
        {
            string path = Path.Combine(TestDirectories.Root, $"sandbox-{round}-{Guid.NewGuid():N}");
            var created = _session.Run("New-PgHaSandbox -Path $args[0] -Witness -FirstAddress 127.0.11.1", path).ThrowIfErrors();
            dynamic sandbox = created.Single().BaseObject;
            try
            {
                Assert.Equal(path, (string)sandbox.Path);
                Assert.Equal("node1", (string)sandbox.Primary);
                Assert.Equal(["node1", "node2", "node3", "witness"], ((IEnumerable<object>)sandbox.Nodes).Select(n => (string)((dynamic)n).Name));
                // A cluster secret for the sandbox's monitors: in its folder, readable by its owner only.
                Assert.Equal(Path.Combine(path, "cluster-secret"), (string)sandbox.SecretFile);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode((string)sandbox.SecretFile));
                Assert.True(Convert.FromBase64String(File.ReadAllText((string)sandbox.SecretFile).Trim()).Length >= 32);

                if (round == 1)
                {
                    // The format views (module/PgHa.Format.ps1xml) as a console shows them: a list for the
                    // sandbox, a table for its nodes.
                    object[] nodes = (object[])sandbox.Nodes;
                    string firstAddress = Regex.Escape((string)((dynamic)nodes[0]).Address);
                    string witnessAddress = Regex.Escape((string)((dynamic)nodes[3]).Address);
                    string view = _session.Run("$args[0] | Out-Default; $args[0].Nodes | Out-Default", created.Single()).ThrowIfErrors().HostText;
                    Assert.Matches(@"(?m)^Path\s+: " + Regex.Escape(path) + @"\s*$", view);
                    Assert.Matches(@"(?m)^Primary\s+: node1\s*$", view);
                    Assert.Matches(@"(?m)^Conninfo\s+: host=" + firstAddress + " port=5432 ", view);
                    Assert.Matches(@"(?m)^SecretFile\s+: " + Regex.Escape(path) + @"/cluster-secret\s*$", view);
                    Assert.Matches(@"(?m)^Nodes\s+: 4 \(node1, node2, node3, witness\)\s*$", view);
                    Assert.Matches(@"(?m)^Duration\s+: \d+\.\d s\s*$", view);
                    Assert.Matches(@"(?m)^Name\s+Role\s+Address\s+Port\s+DataDirectory\s*$", view);
                    Assert.Matches(@"(?m)^node1\s+Primary\s+" + firstAddress + @"\s+5432 " + Regex.Escape(path) + "/node1/data", view);
                    Assert.Matches(@"(?m)^witness\s+Witness\s+" + witnessAddress + @"\s+5432 ", view);
                }

                // The sandbox pipes into the other cmdlets: its Conninfo is the way into the cluster.
                dynamic cluster = _session.Run("$args[0] | Get-PgHaCluster", created.Single()).ThrowIfErrors().Output.Single().BaseObject;
                Assert.True((bool)cluster.Healthy, string.Join("\n", (string[])cluster.Warnings));
                Assert.Equal(4, ((Array)cluster.Nodes).Length);

                // A row written on the primary is read on a standby.
                string primary = (string)sandbox.Conninfo;
                string standby = (string)((dynamic)((object[])sandbox.Nodes)[1]).Conninfo;
                await RunPsqlAsync(primary, "CREATE TABLE demo (id int); INSERT INTO demo VALUES (7)");
                Assert.True(await Polling.UntilAsync(async () => await RunPsqlAsync(standby, "SELECT count(*) FROM demo", check: false) == "1", TimeSpan.FromSeconds(30)));
            }
            finally
            {
                _session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", path).ThrowIfErrors();
            }
            Assert.False(Directory.Exists(path));
            Assert.Empty(LinuxProcesses.WithCommandLineContaining(path));
            // Removing again finds nothing to do: not an error.
            _session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", path).ThrowIfErrors();
        }
    }

    [Fact]
    public async Task WithEtcdAThreeMemberEtcdDecidesAndIsStoppedAndRemovedWithTheSandbox()
    {
        string path = Path.Combine(TestDirectories.Root, $"sandbox-etcd-{Guid.NewGuid():N}");
        var created = _session.Run("New-PgHaSandbox -Path $args[0] -Nodes 2 -Etcd -FirstAddress 127.0.12.1", path).ThrowIfErrors();
        dynamic sandbox = created.Single().BaseObject;
        int[] pids;
        try
        {
            // Three members, on the addresses after the nodes', each with its own PID in the manifest.
            string[] endpoints = (string[])sandbox.EtcdEndpoints;
            Assert.Equal(3, endpoints.Length);
            string lastNode = (string)((dynamic)((object[])sandbox.Nodes)[1]).Address;
            Assert.All(endpoints, e => Assert.Matches(@"^http://127\.0\.12\.\d+:2379$", e));
            Assert.DoesNotContain(endpoints, e => e.Contains("//" + lastNode + ":", StringComparison.Ordinal));
            using (var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(path, "pgha-sandbox.json"))))
            {
                var members = manifest.RootElement.GetProperty("Etcd").EnumerateArray().ToList();
                Assert.Equal(3, members.Count);
                pids = members.Select(m => m.GetProperty("Pid").GetInt32()).ToArray();
                foreach (var member in members)
                {
                    int pid = member.GetProperty("Pid").GetInt32();
                    string dataDirectory = member.GetProperty("DataDirectory").GetString()!;
                    Assert.StartsWith(path + "/etcd/", dataDirectory);
                    Assert.True(LinuxProcesses.IsAlive(pid), $"etcd pid {pid} does not run");
                    Assert.Contains(dataDirectory, File.ReadAllText($"/proc/{pid}/cmdline").Split('\0'));
                }
            }
            FixtureCommandResult health = await FixtureCommand.RunAsync(EtcdCluster.EtcdctlBinary, ["--endpoints=" + string.Join(",", endpoints), "endpoint", "health"]);
            Assert.True(health.Succeeded, health.Describe());

            // The sandbox's metadata names its etcd; Get-PgHaCluster reads it (no monitor runs: nobody holds the key).
            dynamic cluster = _session.Run("$args[0] | Get-PgHaCluster", created.Single()).ThrowIfErrors().Output.Single().BaseObject;
            Assert.True((bool)cluster.Healthy, string.Join("\n", (string[])cluster.Warnings));
            Assert.Equal("Etcd", cluster.Consensus.Backend.ToString());
            Assert.Equal(endpoints, (string[])cluster.Consensus.EtcdEndpoints);
            Assert.StartsWith("/pgha/", (string)cluster.Consensus.EtcdPrefix);
            Assert.Null(cluster.Consensus.Leader);

            string view = _session.Run("$args[0] | Out-Default", created.Single()).ThrowIfErrors().HostText;
            Assert.Matches(@"(?m)^Etcd\s+: " + Regex.Escape(string.Join(",", endpoints)) + @"\s*$", view);
        }
        finally
        {
            _session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", path).ThrowIfErrors();
        }
        Assert.False(Directory.Exists(path));
        Assert.All(pids, pid => Assert.False(LinuxProcesses.IsAlive(pid), $"etcd pid {pid} still runs"));
        Assert.Empty(LinuxProcesses.WithCommandLineContaining(path));
    }

    [Fact]
    public void RemoveRefusesAFolderItDidNotMake()
    {
        string path = Path.Combine(TestDirectories.Root, "not-a-sandbox-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "keep.txt"), "mine");
        try
        {
            var result = _session.Run("Remove-PgHaSandbox -Path $args[0] -Confirm:$false", path);
            Assert.Equal("PgHaSandboxNotFound,PgHa.Cmdlets.RemovePgHaSandboxCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
            Assert.True(File.Exists(Path.Combine(path, "keep.txt")));
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static async Task<string> RunPsqlAsync(string conninfo, string sql, bool check = true)
    {
        var result = await FixtureCommand.RunAsPostgresAsync(Path.Combine(PostgresServer.BinDirectory, "psql"), ["-X", "-A", "-t", "-d", conninfo, "-c", sql]);
        if (check && !result.Succeeded)
        {
            throw new InvalidOperationException(result.Describe());
        }
        return result.StandardOutput.Trim();
    }
}
