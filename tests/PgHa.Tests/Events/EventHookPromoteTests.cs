using System.Management.Automation;
using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using PgHa.Tests.Roles;
using Xunit;

namespace PgHa.Tests.Events;

/// <summary>The servers of <see cref="EventHookPromoteTests"/>: a primary and two standbys, registered.</summary>
public sealed class EventHookPromoteFixture : RoleChangeFixture
{
    public EventHookPromoteFixture() : base("hkp")
    {
    }
}

/// <summary>
/// The hook in a real role change: Invoke-PgHaPromote -SiblingsFollow writes standby_promote, then
/// standby_follow, each in a transaction of its own. The command reads the node's record back from the
/// new primary in another session, so it sees the change only if it runs after the commit.
/// </summary>
public sealed class EventHookPromoteTests : IClassFixture<EventHookPromoteFixture>, IDisposable
{
    private readonly EventHookPromoteFixture _fixture;
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-hook-promote-").FullName;

    public EventHookPromoteTests(EventHookPromoteFixture fixture) => _fixture = fixture;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task PromoteRunsTheHookAfterEachCommitInOrderAndReturnsWhatItAlwaysDid()
    {
        var servers = _fixture.Servers;
        PostgresServer node2 = servers.Standbys[0];
        string file = Path.Combine(_directory, "events");
        string psql = Path.Combine(PostgresServer.BinDirectory, "psql");
        string template = $"printf '%%s|%%s|%%s|' %e %a %s >> {file}; "
            + $"{psql} -X -At -d '{ReplicatedServers.NodeConninfo(node2)}' "
            + $"-c \"SELECT role || ':' || active || ':' || coalesce(upstream_node_id::text, '-') FROM pgha.nodes WHERE node_id = %n\" >> {file}";
        const string script = """
            $seen = [System.Collections.Generic.List[string]]::new()
            Invoke-PgHaPromote -Conninfo $args[0] -Name node2 -SiblingsFollow -Confirm:$false -EventCommand $args[1] -EventAction { $seen.Add("$($_.Event) $($_.NodeName)") }
            $seen
            """;

        await servers.Primary.StopAsync();
        var promoted = _fixture.Session.Run(script, _fixture.Conninfos, template).ThrowIfErrors();

        Assert.Empty(promoted.Warnings);
        Assert.Equal(4, promoted.Output.Count);
        PSObject promotion = promoted.Output[0], follow = promoted.Output[1];
        Assert.Equal("PgHa.PgHaRoleChange", promotion.BaseObject.GetType().FullName);
        Assert.Equal(["node2", "Promote", "Primary"], new[] { promotion.Properties["Node"].Value, promotion.Properties["Action"].Value, promotion.Properties["RoleAfter"].Value.ToString() });
        Assert.Equal(["node3", "Follow", "node2"], new[] { follow.Properties["Node"].Value, follow.Properties["Action"].Value, follow.Properties["UpstreamAfter"].Value });
        Assert.Equal(["standby_promote node2", "standby_follow node3"], promoted.Output.Skip(2).Select(o => o.BaseObject.ToString()));
        Assert.Equal(["standby_promote|node2|1|primary:true:-", "standby_follow|node3|1|standby:true:2"], File.ReadAllLines(file));
        Assert.Equal("f", await node2.QueryScalarAsync("SELECT pg_is_in_recovery()"));
    }
}
