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
