using System.Security.Cryptography;
using System.Text;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Cluster;

/// <summary>The classes that feed bad input to one registered cluster share it, one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class BadInputCollection : ICollectionFixture<BadNodeInputFixture>
{
    public const string Name = "Bad input";
}

/// <summary>
/// A primary (node1) and a streaming standby (node2), registered with their data directories, whose records
/// the tests corrupt and restore; a scratch folder (owned by postgres) with the cluster secret, which the
/// session uses ($PgHaClusterSecretFile); and a snapshot of everything a refused command must leave alone.
/// </summary>
public sealed class BadNodeInputFixture : IAsyncLifetime
{
    public PgHaSession Session { get; } = new();

    public ReplicatedServers Servers { get; private set; } = null!;

    public string Node1 => ReplicatedServers.NodeConninfo(Servers.Primary);

    public string Node2 => ReplicatedServers.NodeConninfo(Servers.Standbys[0]);

    /// <summary>A folder for the tests' own files; commands given bad values must not create anything in it.</summary>
    public string Scratch { get; private set; } = null!;

    public string SecretFile => Path.Combine(Scratch, "cluster-secret");

    /// <summary>An SSH key no server knows: commands get past "which key" to the host they are given.</summary>
    public string KeyFile => Path.Combine(Scratch, "id_ed25519");

    /// <summary>A file that is not a private key.</summary>
    public string NotAKeyFile => Path.Combine(Scratch, "not-a-key");

    /// <summary>One kept-open connection per server for the snapshots (hundreds of them in the bad-value table).</summary>
    private readonly Dictionary<PostgresServer, WireSession> _probes = [];

    public async Task InitializeAsync()
    {
        Servers = await ReplicatedServers.StartAsync("cinv", standbyCount: 1);
        Scratch = await TestDirectories.CreateAsync("badin", "postgres");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(SecretFile, options))
        {
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)) + "\n"));
        }
        Session.Runspace.SessionStateProxy.SetVariable("PgHaClusterSecretFile", SecretFile);
        await FixtureCommand.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "pgha-bad-input", "-f", KeyFile]);
        File.WriteAllText(NotAKeyFile, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n");
        Session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0] -DataDirectory $args[1]", Node1, Servers.Primary.DataDirectory).ThrowIfErrors();
        Session.Run("Register-PgHaNode -Role Standby -Name node2 -Conninfo $args[0] -DataDirectory $args[1]", Node2, Servers.Standbys[0].DataDirectory).ThrowIfErrors();
        // Every snapshot reads the standby's copy of the metadata too: it must have replayed both records first.
        bool replayed = await Polling.UntilAsync(async () =>
        {
            try
            {
                return await Servers.Standbys[0].QueryScalarAsync("SELECT count(*) FROM pgha.nodes", "pgha") == "2";
            }
            catch (Exception ex) when (ex is WireException or IOException)
            {
                return false;  // the pgha database or its tables have not reached the standby yet
            }
        }, TimeSpan.FromSeconds(30));
        Assert.True(replayed, "The standby did not replay the two node records within 30 s.");
    }

    /// <summary>
    /// What a refused command must leave as it was: the metadata (node records, event count, cluster state),
    /// each server's process, role and configuration (pg_hba.conf included), the top of its data directory, and
    /// the scratch folder.
    /// </summary>
    public async Task<string> SnapshotAsync()
    {
        var text = new StringBuilder();
        foreach (PostgresServer server in Servers.All)
        {
            if (!_probes.TryGetValue(server, out WireSession? probe))
            {
                _probes[server] = probe = WireSession.OverSocket(server.SocketDirectory, server.Port, "pgha");
            }
            // Each server's own copy of the metadata: a write that reached the primary reaches the standby too.
            text.AppendLine(await probe.QueryScalarAsync(
                "SELECT pg_is_in_recovery() || ' ' || (SELECT json_agg(n ORDER BY node_id) FROM pgha.nodes n)::text || ' events ' || (SELECT count(*) FROM pgha.events) " +
                "|| ' state ' || coalesce((SELECT json_agg(s) FROM pgha.cluster_state s)::text, '')", TimeSpan.FromSeconds(10)));
            text.AppendLine($"{server.Name} pid {server.Pid}");
            text.AppendLine(string.Join(" ", Directory.EnumerateFileSystemEntries(server.DataDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)));
            text.AppendLine(File.ReadAllText(Path.Combine(server.DataDirectory, "postgresql.auto.conf")));
            text.AppendLine(File.ReadAllText(Path.Combine(server.DataDirectory, "postgresql.conf")));
            text.AppendLine(File.ReadAllText(Path.Combine(server.DataDirectory, "pg_hba.conf")));
        }
        text.AppendLine(string.Join(" ", Directory.EnumerateFileSystemEntries(Scratch, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)));
        return text.ToString();
    }

    public async Task DisposeAsync()
    {
        foreach (WireSession probe in _probes.Values)
        {
            await probe.DisposeAsync();
        }
        Session.Dispose();
        if (Servers is not null)
        {
            await Servers.DisposeAsync();
        }
        if (Scratch is not null)
        {
            TestDirectories.Delete(Scratch);
        }
    }
}
