using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;
using Xunit;

namespace PgHa.Tests.Cluster;

/// <summary>
/// Registering a node reached over SSH: the host key must be vouched for by known_hosts (trusting a new
/// one is an explicit switch, a changed one is always refused) before anything is written.
/// </summary>
public sealed class SshRegistrationTests : IClassFixture<PgHaSession>, IAsyncLifetime
{
    private readonly PgHaSession _session;
    private ReplicatedServers _servers = null!;
    private SshServer _sshd = null!;
    private string _directory = null!;

    public SshRegistrationTests(PgHaSession session) => _session = session;

    public async Task InitializeAsync()
    {
        _servers = await ReplicatedServers.StartAsync("sshreg", standbyCount: 1);
        _sshd = await SshServer.StartAsync();
        _directory = Directory.CreateTempSubdirectory("pgha-ssh-reg-").FullName;
        _session.Run("Register-PgHaNode -Role Primary -Name node1 -Conninfo $args[0]", ReplicatedServers.NodeConninfo(_servers.Primary)).ThrowIfErrors();
    }

    public async Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        await _sshd.DisposeAsync();
        await _servers.DisposeAsync();
    }

    private RunResult RegisterStandbyOverSsh(string knownHosts, string extra = "") =>
        _session.RunWith(
            "Register-PgHaNode -Role Standby -Name node2 -Conninfo $conninfo -DataDirectory $datadir -SshHost $sshHost -SshPort $sshPort -SshKeyFile $key -KnownHostsFile $knownHosts " + extra,
            new Dictionary<string, object>
            {
                ["conninfo"] = ReplicatedServers.NodeConninfo(_servers.Standbys[0]),
                ["datadir"] = _servers.Standbys[0].DataDirectory,
                ["sshHost"] = _sshd.Address,
                ["sshPort"] = _sshd.Port,
                ["key"] = _sshd.ClientKeyPath,
                ["knownHosts"] = knownHosts,
            });

    [Fact]
    public async Task HostKeysAreCheckedBeforeAnythingIsWritten()
    {
        string before = await _servers.MetadataFingerprintAsync();

        string wrong = Path.Combine(_directory, "wrong_known_hosts");
        _sshd.WriteWrongKnownHosts(wrong);
        var mismatch = RegisterStandbyOverSsh(wrong, "-AcceptNewHostKey");
        Assert.Equal("PgHaSshHostKeyMismatch,PgHa.Cmdlets.RegisterPgHaNodeCommand", Assert.Single(mismatch.Errors).FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.SecurityError, mismatch.Errors[0].CategoryInfo.Category);

        string empty = Path.Combine(_directory, "empty_known_hosts");
        File.WriteAllText(empty, string.Empty);
        var unknown = RegisterStandbyOverSsh(empty);
        Assert.Equal("PgHaSshHostKeyUnknown,PgHa.Cmdlets.RegisterPgHaNodeCommand", Assert.Single(unknown.Errors).FullyQualifiedErrorId);
        Assert.Contains(_sshd.HostKeyFingerprint, unknown.Errors[0].Exception.Message);
        Assert.Equal(string.Empty, File.ReadAllText(empty));
        Assert.Equal(before, await _servers.MetadataFingerprintAsync());

        var accepted = RegisterStandbyOverSsh(empty, "-AcceptNewHostKey").ThrowIfErrors().Single();
        Assert.Equal("Registered", accepted.Properties["Action"].Value.ToString());
        Assert.Single(File.ReadAllLines(empty));
        Assert.Equal(_sshd.Address, await _servers.Primary.QueryScalarAsync("SELECT ssh_host FROM pgha.nodes WHERE node_name = 'node2'", "pgha"));

        // The remembered key now vouches for the host: the same registration again changes nothing.
        var again = RegisterStandbyOverSsh(empty).ThrowIfErrors().Single();
        Assert.False((bool)again.Properties["Changed"].Value);
    }

    [Fact]
    public async Task AMissingDataDirectoryIsRefused()
    {
        string before = await _servers.MetadataFingerprintAsync();
        var result = _session.Run("Register-PgHaNode -Role Standby -Name nodex -Conninfo $args[0] -DataDirectory /nonexistent/pgdata",
            ReplicatedServers.NodeConninfo(_servers.Standbys[0]));
        Assert.Equal("PgHaDataDirectoryNotFound,PgHa.Cmdlets.RegisterPgHaNodeCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
        Assert.Equal(before, await _servers.MetadataFingerprintAsync());
    }
}
