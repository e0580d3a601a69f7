using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Roles;

/// <summary>Invoke-PgHaFollow refuses a standby whose WAL is not on the new upstream's history.</summary>
public sealed class PromoteFollowRefusedTests : IClassFixture<DivergedFixture>
{
    private readonly DivergedFixture _fixture;

    public PromoteFollowRefusedTests(DivergedFixture fixture) => _fixture = fixture;

    private PgHaSession Session => _fixture.Session;

    [Fact]
    public async Task FollowIsRefusedWhenTheStandbyWentPastTheUpstreamsForkPoint()
    {
        var primary = _fixture.Servers.Primary;
        var a = _fixture.Servers.Standbys[0];
        var b = _fixture.Servers.Standbys[1];

        // A is promoted behind PgHa's back (timeline 2, forked at what it had replayed) and written on;
        // the old primary goes on taking writes, which B (still its standby, on timeline 1) receives.
        await a.PromoteAsync();
        await a.ExecuteAsync("CREATE TABLE on_a (id int)");
        await primary.ExecuteAsync("CREATE TABLE on_primary (id int); INSERT INTO on_primary SELECT generate_series(1, 1000)");
        string target = await primary.QueryScalarAsync("SELECT pg_current_wal_lsn()") ?? throw new InvalidOperationException("no LSN");
        Assert.True(await Polling.UntilAsync(async () =>
            await b.QueryScalarAsync($"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t", TimeSpan.FromSeconds(30)), "B did not replay the primary's writes");

        // B's timeline 1 is on A's history (1 -> 2), but B has WAL past the point where A left timeline 1:
        // that is PgHaFollowDiverged (a rewind would fix it), not PgHaFollowTimelineMismatch (which is for a
        // timeline A's history does not contain at all, such as a sibling branch; a node on such a branch is
        // out of recovery, and follow refuses it earlier as not a standby).
        var refused = Session.Run("Invoke-PgHaFollow -Conninfo $args[0] -Name node3 -Upstream node2 -Confirm:$false", (object)_fixture.Conninfos);
        Assert.Equal(["PgHaFollowDiverged,PgHa.Cmdlets.InvokePgHaFollowCommand"], refused.ErrorIds);
        Assert.Contains("Invoke-PgHaRejoin -ForceRewind", refused.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Equal(primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), await b.QueryScalarAsync("SELECT sender_port FROM pg_stat_wal_receiver"));
        Assert.Equal("0", await primary.QueryScalarAsync("SELECT count(*) FROM pgha.events WHERE event = 'standby_follow'", "pgha"));

        // With the old primary stopped, recording A (promoted by hand) as the primary works, and the
        // sibling that cannot follow it is a warning and a failed event, not a failed promotion.
        await primary.StopAsync();
        var promoted = Session.Run("Invoke-PgHaPromote -Conninfo $args[0] -Name node2 -SiblingsFollow -Confirm:$false", (object)_fixture.Conninfos).ThrowIfErrors();
        var promotion = promoted.Single();
        Assert.True((bool)promotion.Properties["Changed"].Value);
        Assert.Equal(2, (int?)promotion.Properties["Timeline"].Value);
        Assert.Contains(promoted.Warnings, w => w.Contains("node3 did not follow", StringComparison.Ordinal) && w.Contains("diverged", StringComparison.Ordinal));
        Assert.Equal("node2:standby_promote:true,node3:standby_follow:false", await a.QueryScalarAsync(
            "SELECT string_agg(node_name || ':' || event || ':' || successful, ',' ORDER BY event_id) FROM pgha.events WHERE event IN ('standby_promote', 'standby_follow')", "pgha"));
        Assert.Equal("node1:primary:false,node2:primary:true,node3:standby:true", await a.QueryScalarAsync(
            "SELECT string_agg(node_name || ':' || role || ':' || active, ',' ORDER BY node_id) FROM pgha.nodes", "pgha"));
    }
}
