using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Roles;

/// <summary>
/// A switchover in a cluster whose standbys stream through replication slots (each node registered with
/// -SlotName): the new primary gets a slot for the old primary and for each sibling, and they stream
/// through them; the slots on the old primary that nobody uses any more are gone, so they do not keep its
/// WAL forever. There and back, so both directions are seen.
/// </summary>
public sealed class SlotSwitchoverTests : IClassFixture<PgHaSession>, IAsyncLifetime
{
    private readonly PgHaSession _session;
    private ReplicatedServers _servers = null!;

    public SlotSwitchoverTests(PgHaSession session) => _session = session;

    private PostgresServer Node(int number) => _servers.All.ElementAt(number - 1);

    private static string Slot(int number) => $"pgha_node{number}";

    public async Task InitializeAsync()
    {
        _servers = await ReplicatedServers.StartAsync("sl", standbyCount: 2);
        for (int n = 2; n <= 3; n++)
        {
            await Node(1).ExecuteAsync($"SELECT pg_create_physical_replication_slot('{Slot(n)}', true)");
            await Node(n).ExecuteAsync($"ALTER SYSTEM SET primary_slot_name = '{Slot(n)}'");
            await Node(n).ExecuteAsync("SELECT pg_reload_conf()");
        }
        await AssertSlotsAsync(primary: 1, standbys: [2, 3]);
        for (int n = 1; n <= 3; n++)
        {
            _session.Run($"Register-PgHaNode -Role {(n == 1 ? "Primary" : "Standby")} -Name node{n} -Conninfo $args[0] -DataDirectory $args[1] -SlotName $args[2]",
                ReplicatedServers.NodeConninfo(Node(n)), Node(n).DataDirectory, Slot(n)).ThrowIfErrors();
        }
    }

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task TheNewPrimaryHoldsTheSlotsAndTheOldOneKeepsNone()
    {
        string[] entry = _servers.All.Select(ReplicatedServers.NodeConninfo).ToArray();

        dynamic there = _session.Run("Invoke-PgHaSwitchover -Name node2 -Conninfo $args[0] -Confirm:$false", (object)entry).ThrowIfErrors().Single().BaseObject;
        Assert.Equal(2, ((string[])there.Following).Length);
        await AssertSlotsAsync(primary: 2, standbys: [1, 3]);

        dynamic back = _session.Run("Invoke-PgHaSwitchover -Name node1 -Conninfo $args[0] -Confirm:$false", (object)entry).ThrowIfErrors().Single().BaseObject;
        Assert.Equal(2, ((string[])back.Following).Length);
        await AssertSlotsAsync(primary: 1, standbys: [2, 3]);
    }

    /// <summary>
    /// The primary holds exactly the standbys' slots, each in use by that standby's WAL receiver, and no
    /// standby holds a slot (a slot on a standby nobody streams from would keep its WAL for ever).
    /// </summary>
    private async Task AssertSlotsAsync(int primary, int[] standbys)
    {
        string expected = string.Join(",", standbys.Order().Select(n => Slot(n) + ":true"));
        string? seen = null;
        bool active = await Polling.UntilAsync(async () =>
        {
            seen = await Node(primary).QueryScalarAsync("SELECT coalesce(string_agg(slot_name || ':' || active, ',' ORDER BY slot_name), '') FROM pg_replication_slots");
            return seen == expected;
        }, TimeSpan.FromSeconds(30));
        Assert.True(active, $"node{primary} holds the slots '{seen}', not '{expected}' all in use");
        foreach (int standby in standbys)
        {
            Assert.Equal(Slot(standby), await Node(standby).QueryScalarAsync("SELECT slot_name FROM pg_stat_wal_receiver"));
            Assert.Equal("0", await Node(standby).QueryScalarAsync("SELECT count(*) FROM pg_replication_slots"));
        }
    }
}
