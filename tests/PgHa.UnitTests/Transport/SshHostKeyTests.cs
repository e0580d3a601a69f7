using System.Security.Cryptography;
using System.Text;
using PgHa.Tests.Fixtures;
using PgHa.Transport;
using Renci.SshNet.Common;
using Xunit;

namespace PgHa.UnitTests.Transport;

/// <summary>SSH logins against the private sshd: the host key must be vouched for by known_hosts, and trusting a new one is explicit.</summary>
public sealed class SshHostKeyTests : IClassFixture<TransportServers>, IDisposable
{
    private readonly TransportServers _servers;
    private readonly string _directory;

    public SshHostKeyTests(TransportServers servers)
    {
        _servers = servers;
        _directory = Path.Combine(servers.Ssh.Directory, "case-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
    }

    private string KnownHosts => Path.Combine(_directory, "known_hosts");

    [Fact]
    public async Task KnownHostIsAccepted()
    {
        _servers.Ssh.WriteKnownHosts(KnownHosts);

        await using var transport = await SshTransport.ConnectAsync(_servers.OptionsFor(KnownHosts), CancellationToken.None);

        Assert.Equal($"ssh postgres@{_servers.Ssh.Address}:{_servers.Ssh.Port}", transport.Description);
        Assert.Equal("postgres\n", (await transport.RunAsync("id", new[] { "-un" }, null, CancellationToken.None)).StandardOutput);
    }

    [Fact]
    public async Task HashedKnownHostEntryIsAccepted()
    {
        // What ssh writes with HashKnownHosts yes (Debian's default): |1|salt|HMAC-SHA1(salt, "[host]:port").
        var salt = RandomNumberGenerator.GetBytes(20);
        var hash = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(_servers.Ssh.KnownHostsName));
        await File.WriteAllTextAsync(KnownHosts,
            "# a comment, then an unrelated host\n" +
            "otherhost.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGl0IGlzIG5vdCB0aGUga2V5IHlvdSBhcmUgbG9va2luZw==\n" +
            $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(hash)} {_servers.Ssh.HostKeyPublic}\n");

        await using var transport = await SshTransport.ConnectAsync(_servers.OptionsFor(KnownHosts), CancellationToken.None);

        Assert.True((await transport.RunAsync("true", Array.Empty<string>(), null, CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task UnknownHostIsRefusedUntilTrustedExplicitlyThenRemembered()
    {
        // A missing known_hosts file is the common first-contact case.
        var refused = await Assert.ThrowsAsync<SshHostKeyUnknownException>(() =>
            SshTransport.ConnectAsync(_servers.OptionsFor(KnownHosts), CancellationToken.None));
        Assert.Contains(_servers.Ssh.HostKeyFingerprint, refused.Message);
        Assert.Contains("AcceptNewHostKey", refused.Message);
        Assert.Equal(_servers.Ssh.HostKeyFingerprint, refused.Fingerprint);
        Assert.Equal("ssh-ed25519", refused.KeyType);
        Assert.False(File.Exists(KnownHosts));

        await using (var accepted = await SshTransport.ConnectAsync(_servers.OptionsFor(KnownHosts, acceptNewHostKey: true), CancellationToken.None))
        {
            Assert.True((await accepted.RunAsync("true", Array.Empty<string>(), null, CancellationToken.None)).Succeeded);
        }
        var lines = await File.ReadAllLinesAsync(KnownHosts);
        Assert.Equal(new[] { _servers.Ssh.HostKeyPublicLine }, lines);

        // Remembered: no switch needed any more, and nothing appended twice.
        await using (var again = await SshTransport.ConnectAsync(_servers.OptionsFor(KnownHosts, acceptNewHostKey: true), CancellationToken.None))
        {
            Assert.True((await again.RunAsync("true", Array.Empty<string>(), null, CancellationToken.None)).Succeeded);
        }
        await using (var plain = await SshTransport.ConnectAsync(_servers.OptionsFor(KnownHosts), CancellationToken.None))
        {
            Assert.True((await plain.RunAsync("true", Array.Empty<string>(), null, CancellationToken.None)).Succeeded);
        }
        Assert.Single(await File.ReadAllLinesAsync(KnownHosts));
    }

    [Fact]
    public async Task AcceptedKeyIsAppendedOnItsOwnLine()
    {
        await File.WriteAllTextAsync(KnownHosts, "otherhost.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGl0IGlzIG5vdCB0aGUga2V5IHlvdSBhcmUgbG9va2luZw==");

        await using (await SshTransport.ConnectAsync(_servers.OptionsFor(KnownHosts, acceptNewHostKey: true), CancellationToken.None))
        {
        }

        var lines = await File.ReadAllLinesAsync(KnownHosts);
        Assert.Equal(2, lines.Length);
        Assert.Equal(_servers.Ssh.HostKeyPublicLine, lines[1]);
    }

    [Fact]
    public async Task MismatchedHostKeyIsRefusedEvenWithAcceptNewHostKey()
    {
        _servers.Ssh.WriteWrongKnownHosts(KnownHosts);
        var before = await File.ReadAllTextAsync(KnownHosts);

        foreach (var accept in new[] { false, true })
        {
            var refused = await Assert.ThrowsAsync<SshHostKeyMismatchException>(() =>
                SshTransport.ConnectAsync(_servers.OptionsFor(KnownHosts, acceptNewHostKey: accept), CancellationToken.None));
            Assert.Contains(_servers.Ssh.HostKeyFingerprint, refused.Message);
            Assert.Contains("man-in-the-middle", refused.Message);
            Assert.Contains("ssh-keygen -R", refused.Message);
            Assert.False(refused.Revoked);
        }
        Assert.Equal(before, await File.ReadAllTextAsync(KnownHosts));
    }

    [Fact]
    public async Task RevokedHostKeyIsRefused()
    {
        await File.WriteAllTextAsync(KnownHosts, $"@revoked * {_servers.Ssh.HostKeyPublic}\n{_servers.Ssh.HostKeyPublicLine}\n");

        var refused = await Assert.ThrowsAsync<SshHostKeyMismatchException>(() =>
            SshTransport.ConnectAsync(_servers.OptionsFor(KnownHosts, acceptNewHostKey: true), CancellationToken.None));

        Assert.True(refused.Revoked);
    }

    [Fact]
    public async Task PassphraseProtectedKeyLogsIn()
    {
        var key = Path.Combine(_directory, "protected_ed25519");
        await FixtureCommand.RunCheckedAsync("ssh-keygen", new[] { "-q", "-t", "ed25519", "-N", "correct horse", "-C", "protected", "-f", key });
        await File.AppendAllTextAsync(Path.Combine(_servers.Ssh.Directory, "authorized_keys"), await File.ReadAllTextAsync(key + ".pub"));
        _servers.Ssh.WriteKnownHosts(KnownHosts);
        var options = _servers.OptionsFor(KnownHosts);

        await using var transport = await SshTransport.ConnectAsync(
            new SshTransportOptions { Host = options.Host, Port = options.Port, KnownHostsPath = KnownHosts, PrivateKeyPath = key, PrivateKeyPassphrase = "correct horse" },
            CancellationToken.None);

        Assert.True((await transport.RunAsync("true", Array.Empty<string>(), null, CancellationToken.None)).Succeeded);
        Assert.DoesNotContain("correct horse", options.ToString());
    }

    [Fact]
    public async Task KeyTheServerDoesNotKnowFailsAuthentication()
    {
        var stranger = Path.Combine(_directory, "stranger_ed25519");
        await FixtureCommand.RunCheckedAsync("ssh-keygen", new[] { "-q", "-t", "ed25519", "-N", "", "-f", stranger });
        _servers.Ssh.WriteKnownHosts(KnownHosts);
        var options = _servers.OptionsFor(KnownHosts);

        await Assert.ThrowsAsync<SshAuthenticationException>(() => SshTransport.ConnectAsync(
            new SshTransportOptions { Host = options.Host, Port = options.Port, KnownHostsPath = KnownHosts, PrivateKeyPath = stranger },
            CancellationToken.None));
    }

    [Fact]
    public async Task UnreachableHostFailsWithinTheConnectTimeout()
    {
        var address = LoopbackAddresses.Reserve();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var options = _servers.OptionsFor(KnownHosts);

            // Nothing listens there: refused at once rather than hanging for SSH.NET's 30 s default.
            await Assert.ThrowsAnyAsync<Exception>(() => SshTransport.ConnectAsync(
                new SshTransportOptions { Host = address, Port = LoopbackAddresses.FreePort(address), KnownHostsPath = KnownHosts, PrivateKeyPath = options.PrivateKeyPath, ConnectTimeout = TimeSpan.FromSeconds(2) },
                CancellationToken.None));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        }
        finally
        {
            LoopbackAddresses.Release(address);
        }
    }

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
    }
}
