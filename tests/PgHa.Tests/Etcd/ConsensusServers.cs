using PgHa.Tests.Cluster;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;

namespace PgHa.Tests.Etcd;

/// <summary>
/// A registered PgHa cluster (node1 primary, node2 streaming from it, a witness with its own copy of the
/// metadata) beside a 3-member etcd with access control on (the user "pgha" may use /pgha-cons/ only), and one
/// hosted session for the cmdlets. No monitor runs: the pause flag alone decides what Set-PgHaConsensus allows.
/// </summary>
public sealed class ConsensusServers : EtcdServers
{
    public const string User = "pgha";
    public const string Password = "n0t-in-the-metadata 'x'";
    public const string Prefix = "/pgha-cons/";

    public PgHaSession Session { get; } = new();

    public ReplicatedServers Servers { get; private set; } = null!;

    public PostgresServer Witness { get; private set; } = null!;

    public string PrimaryConninfo => ReplicatedServers.NodeConninfo(Servers.Primary);

    public override async Task InitializeAsync()
    {
        try
        {
            await base.InitializeAsync();
            await EnableAccessControlAsync(User, Password, Prefix);
            Servers = await ReplicatedServers.StartAsync("cons", standbyCount: 1);
            Witness = await PostgresServer.InitPrimaryAsync("consw");
            Session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0]", PrimaryConninfo).ThrowIfErrors();
            Session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0]", ReplicatedServers.NodeConninfo(Servers.Standbys[0])).ThrowIfErrors();
            Session.Run("Register-PgHaNode -Role Witness -Name witness -Conninfo $args[0] -PrimaryConninfo $args[1]",
                ReplicatedServers.NodeConninfo(Witness), PrimaryConninfo).ThrowIfErrors();
        }
        catch
        {
            // xunit does not dispose a fixture whose start failed: nothing it started may keep running.
            await DisposeAsync();
            throw;
        }
    }

    public override async Task DisposeAsync()
    {
        Session.Dispose();
        if (Witness is not null)
        {
            await Witness.DisposeAsync();
        }
        if (Servers is not null)
        {
            await Servers.DisposeAsync();
        }
        await base.DisposeAsync();
    }

    /// <summary>Pauses or resumes through the cmdlets (no monitor answers: their warnings are expected and dropped).</summary>
    public void SetPaused(bool paused) =>
        Session.Run($"{(paused ? "Suspend" : "Resume")}-PgHaMonitor -Conninfo $args[0] -Wait 0 -Confirm:$false -WarningAction SilentlyContinue", PrimaryConninfo).ThrowIfErrors();

    /// <summary>Every row of every table of the schema pgha on a server, as one line of text: what a password must never be in.</summary>
    public static async Task<string> MetadataTextAsync(PostgresServer server) =>
        await server.QueryScalarAsync(
            "SELECT translate(string_agg(query_to_xml(format('SELECT * FROM %I.%I', schemaname, tablename), true, false, '')::text, '' ORDER BY tablename), E'\\n', ' ') "
            + "FROM pg_tables WHERE schemaname = 'pgha'",
            "pgha") ?? string.Empty;
}
