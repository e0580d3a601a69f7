using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Cluster;

/// <summary>
/// Bad node input, refused with one ErrorId by every cmdlet family and changing nothing:
/// a registered conninfo libpq refuses (written by hand or by an older tool) gives PgHaConninfoInvalid,
/// never a raw ConninfoFormatException; a node name that differs from a registered one only in case
/// gives PgHaNodeNotFound naming the registered one (names are matched exactly everywhere).
/// </summary>
[Collection(BadInputCollection.Name)]
public sealed class BadNodeInputTests
{
    // libpq refuses to parse the first; the second parses but asks for something Npgsql cannot honour.
    public const string Unparsable = "host=127.0.0.1 port";
    public const string Unsupported = "requirepeer=postgres";

    private readonly BadNodeInputFixture fixture;

    public BadNodeInputTests(BadNodeInputFixture fixture) => this.fixture = fixture;

    [Fact]
    public async Task RoleChanges_OfANodeWithAnInvalidConninfo_AreRefused()
    {
        await WithConninfoAsync("node2", Unparsable, async () =>
        {
            foreach (string command in new[]
            {
                "Invoke-PgHaPromote -Name node2 -Conninfo $args[0] -Confirm:$false",
                "Invoke-PgHaFollow -Name node2 -Conninfo $args[0] -Confirm:$false",
                "Invoke-PgHaRejoin -Name node2 -Conninfo $args[0] -Confirm:$false",
                "Invoke-PgHaSwitchover -Name node2 -Conninfo $args[0] -Confirm:$false",
            })
            {
                await AssertRefusedAsync(command, "node2", fixture.Node1);
            }
        });
    }

    [Theory]
    [InlineData(Unparsable)]
    [InlineData(Unsupported)]
    public async Task ChangesThroughThePrimary_WithAnInvalidConninfo_AreRefused(string broken)
    {
        string conninfo = broken == Unsupported ? fixture.Node1 + " " + Unsupported : Unparsable;
        await WithConninfoAsync("node1", conninfo, async () =>
        {
            foreach (string command in new[]
            {
                "Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -Force -Confirm:$false",
                "Unregister-PgHaNode -Name node2 -Conninfo $args[0] -Force -Confirm:$false",
                "Suspend-PgHaMonitor -Conninfo $args[0] -Confirm:$false",
                "Resume-PgHaMonitor -Conninfo $args[0] -Confirm:$false",
                "Invoke-PgHaPromote -Name node2 -Conninfo $args[0] -Confirm:$false",
            })
            {
                // A text that does not parse is reported with the node's name; one Npgsql refuses, with the keyword.
                await AssertRefusedAsync(command, broken == Unsupported ? "requirepeer" : "node1",
                    command.StartsWith("Register", StringComparison.Ordinal) ? fixture.Node2 : fixture.Node1);
            }
        });
    }

    /// <summary>A node piped to New-PgHaStandby brings its registered conninfo: an unreadable one is refused naming that node.</summary>
    [Fact]
    public async Task CloningFromAPipedNodeWithAnInvalidConninfo_IsRefusedNamingIt()
    {
        await WithConninfoAsync("node2", Unparsable, async () =>
        {
            await AssertRefusedAsync(
                "Get-PgHaNode -Name node2 -Conninfo $args[0] | New-PgHaStandby -Name node3 -DataDirectory /tmp/pgha-no-such-clone -Confirm:$false",
                "registered conninfo of node2", fixture.Node1);
        });
    }

    [Fact]
    public async Task Reads_ShowTheNodeWithAnInvalidConninfo_AndItsProblem()
    {
        await WithConninfoAsync("node2", Unparsable, () =>
        {
            var result = fixture.Session.Run("Get-PgHaNode -Name node2 -Conninfo $args[0]", fixture.Node1);
            Assert.Empty(result.Errors);
            var node = result.Single();
            Assert.Contains("registered conninfo of node2 is invalid", (string)node.Properties["Error"].Value);
            var cluster = fixture.Session.Run("Get-PgHaCluster -Conninfo $args[0]", fixture.Node1);
            Assert.Empty(cluster.Errors);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Stop-, Start- and Restart-PgHaNode act on a node's data directory, not its conninfo: with the primary's
    /// registered conninfo unreadable, its registered role still makes an unattended stop or restart a refusal,
    /// and starting a running standby whose conninfo is unreadable finds nothing to do. Set-PgHaConsensus writes
    /// through the registered primary, whose unreadable conninfo is refused naming it.
    /// </summary>
    [Fact]
    public async Task ServiceAndConsensusCommands_WithAnInvalidRegisteredConninfo_ChangeNothing()
    {
        await WithConninfoAsync("node1", Unparsable, async () =>
        {
            await AssertRefusedAsync("Stop-PgHaNode -Name node1 -Conninfo $args[0] -Confirm:$false", "node1 runs as the primary", fixture.Node2, "PgHaPrimaryConfirmationRequired");
            await AssertRefusedAsync("Restart-PgHaNode -Name node1 -Conninfo $args[0] -Confirm:$false", "node1 runs as the primary", fixture.Node2, "PgHaPrimaryConfirmationRequired");
            await AssertRefusedAsync("Set-PgHaConsensus -Conninfo $args[0] -Backend BuiltIn -Confirm:$false", "registered conninfo of node1", fixture.Node2);
        });
        await WithConninfoAsync("node2", Unparsable, async () =>
        {
            string before = await fixture.Servers.MetadataFingerprintAsync();
            var started = fixture.Session.Run("Start-PgHaNode -Name node2 -Conninfo $args[0] -Confirm:$false", fixture.Node1).ThrowIfErrors();
            Assert.False((bool)started.Single().Properties["Changed"].Value);
            Assert.Equal(before, await fixture.Servers.MetadataFingerprintAsync());
        });
    }

    /// <summary>
    /// A monitor whose own node's registered conninfo cannot be parsed does not start (it would never reach its
    /// own server): Start-PgHaMonitor ends with PgHaConninfoInvalid naming the node, and nothing changes.
    /// </summary>
    [Fact]
    public Task StartPgHaMonitor_ForANodeWithAnInvalidConninfo_EndsNamingIt() =>
        WithConninfoAsync("node2", Unparsable, () => AssertRefusedAsync(
            $"Start-PgHaMonitor -Conninfo $args[0] -Name node2 -HttpPort 0 -StateFile '{Path.Combine(fixture.Scratch, "node2-monitor-state.json")}'", "node2", fixture.Node1, "PgHaConninfoInvalid"));

    /// <summary>
    /// The checks and the monitor view read every registered conninfo: an unreadable one is that node's
    /// problem, shown on it, never an exception that hides the rest of the cluster. Its server runs, so its
    /// Connection check is Unknown (not asked), never Critical with "start it"; the advice it gives, to
    /// register the node again with -Force, mends it.
    /// </summary>
    [Fact]
    public async Task ChecksAndMonitorView_ShowTheNodeWithAnInvalidConninfo()
    {
        await WithConninfoAsync("node2", Unparsable, () =>
        {
            var node = fixture.Session.Run("Test-PgHaNode -Name node2 -Conninfo $args[0]", fixture.Node1);
            Assert.Empty(node.Errors);
            Assert.All(node.Output, r => Assert.Equal("Unknown", r.Properties["Status"].Value.ToString()));
            var connection = node.Output.Single(c => c.Properties["Check"].Value.ToString() == "Connection");
            string message = (string)connection.Properties["Message"].Value;
            Assert.Contains("registered conninfo of node2 cannot be parsed: Invalid connection string: missing \"=\" after \"port\"", message, StringComparison.Ordinal);
            Assert.Contains("Register-PgHaNode -Role Standby -Name node2 -Conninfo '<conninfo>' -Force", message, StringComparison.Ordinal);
            Assert.DoesNotContain("Start-PgHaNode", message, StringComparison.Ordinal);
            Assert.False((bool)fixture.Session.Run("Test-PgHaNode -Name node2 -Conninfo $args[0] -Quiet", fixture.Node1).ThrowIfErrors().Single().BaseObject);

            var cluster = fixture.Session.Run("Test-PgHaCluster -Conninfo $args[0]", fixture.Node1);
            Assert.Empty(cluster.Errors);
            Assert.Contains(cluster.Output, c => (string?)c.Properties["Node"].Value == "node1" && c.Properties["Check"].Value.ToString() == "Connection" && c.Properties["Status"].Value.ToString() == "Ok");
            Assert.Contains(cluster.Output, c => (string?)c.Properties["Node"].Value == "node2" && c.Properties["Check"].Value.ToString() == "Connection" && c.Properties["Status"].Value.ToString() == "Unknown");

            var monitors = fixture.Session.Run("Get-PgHaMonitor -Conninfo $args[0]", fixture.Node1);
            Assert.Empty(monitors.Errors);
            Assert.Equal(["node1", "node2"], monitors.Output.Select(m => (string)m.Properties["Name"].Value).Order(StringComparer.Ordinal));

            // The advice, followed: the record registered again with its correct conninfo (and data directory) answers.
            fixture.Session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -DataDirectory $args[1] -Force -Confirm:$false",
                fixture.Node2, fixture.Servers.Standbys[0].DataDirectory).ThrowIfErrors();
            var mended = fixture.Session.Run("Test-PgHaNode -Name node2 -Conninfo $args[0] -Check Connection, Role", fixture.Node1).ThrowIfErrors();
            Assert.All(mended.Output, r => Assert.Equal("Ok", r.Properties["Status"].Value.ToString()));
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The registered primary's conninfo unreadable: the checks, read through the standby, say it was not asked
    /// (Connection and SinglePrimary Unknown); a conninfo that parses but that PgHa cannot honour is Unknown too.
    /// </summary>
    [Theory]
    [InlineData(Unparsable)]
    [InlineData(Unsupported)]
    public async Task Checks_OfAPrimaryWithAnInvalidConninfo_AreUnknown(string broken)
    {
        string conninfo = broken == Unsupported ? fixture.Node1 + " " + Unsupported : Unparsable;
        await WithConninfoAsync("node1", conninfo, () =>
        {
            var rows = fixture.Session.Run("Test-PgHaCluster -Conninfo $args[0] -Check Connection, SinglePrimary", fixture.Node2);
            Assert.Empty(rows.Errors);
            var connection = rows.Output.Single(c => (string?)c.Properties["Node"].Value == "node1" && c.Properties["Check"].Value.ToString() == "Connection");
            Assert.Equal("Unknown", connection.Properties["Status"].Value.ToString());
            Assert.Contains(broken == Unsupported ? "requirepeer" : "cannot be parsed", (string)connection.Properties["Message"].Value, StringComparison.Ordinal);
            Assert.Contains("-Force", (string)connection.Properties["Message"].Value, StringComparison.Ordinal);
            var single = rows.Output.Single(c => c.Properties["Check"].Value.ToString() == "SinglePrimary");
            Assert.Equal("Unknown", single.Properties["Status"].Value.ToString());
            Assert.Equal("Ok", rows.Output.Single(c => (string?)c.Properties["Node"].Value == "node2").Properties["Status"].Value.ToString());
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// A witness is neither promoted nor switched over to. The fixture has no witness server, so a witness
    /// record is added for the test; its conninfo reaches a server out of recovery, as a witness's does.
    /// </summary>
    [Theory]
    [InlineData("Invoke-PgHaPromote -Name witness1 -Conninfo $args[0] -Confirm:$false", "PgHaPromoteNotStandby")]
    [InlineData("Invoke-PgHaSwitchover -Name witness1 -Conninfo $args[0] -Confirm:$false", "PgHaSwitchoverCandidateNotStandby")]
    public async Task AWitness_IsNeitherPromotedNorSwitchedOverTo(string command, string errorId)
    {
        await fixture.Servers.Primary.ExecuteAsync(
            $"INSERT INTO pgha.nodes (node_id, node_name, role, upstream_node_id, conninfo) VALUES (41, 'witness1', 'witness', NULL, '{fixture.Node1.Replace("'", "''")}')", "pgha");
        try
        {
            await AssertRefusedAsync(command, "witness1", fixture.Node1, errorId);
        }
        finally
        {
            await fixture.Servers.Primary.ExecuteAsync("DELETE FROM pgha.nodes WHERE node_id = 41", "pgha");
        }
    }

    [Fact]
    public void AConninfoParameterThatNpgsqlCannotHonour_IsPgHaConninfoInvalid()
    {
        var result = fixture.Session.Run("Get-PgHaNode -Conninfo $args[0]", fixture.Node1 + " " + Unsupported);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("PgHaConninfoInvalid,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("requirepeer", error.Exception.Message);
    }

    [Fact]
    public async Task ANameThatDiffersOnlyInCase_FindsNoNode_AndTheErrorNamesTheRegisteredOne()
    {
        foreach (string command in new[]
        {
            "Get-PgHaNode -Name NODE2 -Conninfo $args[0]",
            "Test-PgHaNode -Name NODE2 -Conninfo $args[0]",
            "Invoke-PgHaPromote -Name NODE2 -Conninfo $args[0] -Confirm:$false",
            "Invoke-PgHaFollow -Name NODE2 -Conninfo $args[0] -Confirm:$false",
            "Invoke-PgHaRejoin -Name NODE2 -Conninfo $args[0] -Confirm:$false",
            "Invoke-PgHaSwitchover -Name NODE2 -Conninfo $args[0] -Confirm:$false",
            "Stop-PgHaNode -Name NODE2 -Conninfo $args[0] -Confirm:$false",
            "Unregister-PgHaNode -Name NODE2 -Conninfo $args[0] -Force -Confirm:$false",
        })
        {
            await AssertRefusedAsync(command, "'node2' is", fixture.Node1, "PgHaNodeNotFound");
        }

        // Patterns are case-sensitive too: nothing matches, and a pattern is no error.
        var none = fixture.Session.Run("Get-PgHaNode -Name NODE* -Conninfo $args[0]", fixture.Node1);
        Assert.Empty(none.Errors);
        Assert.Empty(none.Output);
        var exact = fixture.Session.Run("Get-PgHaNode -Name node2 -Conninfo $args[0]", fixture.Node1).ThrowIfErrors();
        Assert.Equal("node2", (string)exact.Single().Properties["Name"].Value);
    }

    [Fact]
    public async Task Registering_ANameThatDiffersOnlyInCase_IsRefused()
    {
        await AssertRefusedAsync("Register-PgHaNode -Role Standby -Name NODE2 -Conninfo $args[0] -Confirm:$false", "'node2' (id 2)", fixture.Node2, "PgHaNodeNameInUse");
    }

    private async Task AssertRefusedAsync(string command, string named, string entryPoint, string errorId = "PgHaConninfoInvalid")
    {
        string before = await fixture.Servers.MetadataFingerprintAsync();
        var result = fixture.Session.Run(command, entryPoint);
        var error = Assert.Single(result.Errors);
        Assert.True(error.FullyQualifiedErrorId.StartsWith(errorId + ",", StringComparison.Ordinal),
            $"{command}: {error.FullyQualifiedErrorId}: {error.Exception?.Message}");
        Assert.DoesNotContain(result.Errors, e => e.Exception is FormatException);
        Assert.Contains(named, error.Exception!.Message);
        Assert.Equal(before, await fixture.Servers.MetadataFingerprintAsync());
        Assert.Equal("f", await fixture.Servers.Primary.QueryScalarAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal("t", await fixture.Servers.Standbys[0].QueryScalarAsync("SELECT pg_is_in_recovery()"));
    }

    private async Task WithConninfoAsync(string node, string conninfo, Func<Task> body)
    {
        string original = node == "node1" ? fixture.Node1 : fixture.Node2;
        await SetConninfoAsync(node, conninfo);
        try
        {
            await body();
        }
        finally
        {
            await SetConninfoAsync(node, original);
        }
    }

    private async Task SetConninfoAsync(string node, string conninfo)
    {
        await fixture.Servers.Primary.ExecuteAsync(
            $"UPDATE pgha.nodes SET conninfo = '{conninfo.Replace("'", "''")}' WHERE node_name = '{node}'", "pgha");
        // Reads may go through the standby: wait until it has replayed the change.
        bool replayed = await Polling.UntilAsync(async () =>
            await fixture.Servers.Standbys[0].QueryScalarAsync($"SELECT conninfo FROM pgha.nodes WHERE node_name = '{node}'", "pgha") == conninfo,
            TimeSpan.FromSeconds(20));
        Assert.True(replayed, "The standby did not replay the conninfo change within 20 s.");
    }
}
