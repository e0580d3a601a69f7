using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace PgHa.Tests.Fixtures;

/// <summary>
/// A private sshd on its own loopback address and port, with its own ed25519 host key, key-only login
/// for the postgres OS user, and a client key pair for that user. Disposing kills it (and the session
/// processes it forked) by PID and deletes its directory.
/// </summary>
public sealed class SshServer : IAsyncDisposable, IDisposable
{
    public const string User = "postgres";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private bool _disposed;

    private SshServer(string address, int port, string directory, Process process, string hostKeyPublic, string wrongHostKeyPublic, string clientPublicKey)
    {
        Address = address;
        Port = port;
        Directory = directory;
        _process = process;
        HostKeyPublic = hostKeyPublic;
        WrongHostKeyPublic = wrongHostKeyPublic;
        ClientPublicKey = clientPublicKey;
    }

    public string Address { get; }

    public int Port { get; }

    /// <summary>Config, keys, authorized_keys and the log live here.</summary>
    public string Directory { get; }

    public int Pid => _process.Id;

    /// <summary>Private key of the postgres client (ed25519, no passphrase), owned by postgres with mode 600.</summary>
    public string ClientKeyPath => Path.Combine(Directory, "client_ed25519");

    /// <summary>The client's public key as in authorized_keys ("ssh-ed25519 AAAA… comment").</summary>
    public string ClientPublicKey { get; }

    /// <summary>The server's public host key ("ssh-ed25519 AAAA…").</summary>
    public string HostKeyPublic { get; }

    /// <summary>How known_hosts names this server: "[127.0.0.x]:port", as for any port but 22.</summary>
    public string KnownHostsName => $"[{Address}]:{Port}";

    /// <summary>A known_hosts line that trusts this server's host key.</summary>
    public string HostKeyPublicLine => $"{KnownHostsName} {HostKeyPublic}";

    /// <summary>SHA256 fingerprint as ssh prints it ("SHA256:…", unpadded base64).</summary>
    public string HostKeyFingerprint => Fingerprint(HostKeyPublic);

    public string LogFile => Path.Combine(Directory, "sshd.log");

    /// <summary>A key that is not this server's, for host key mismatch tests.</summary>
    private string WrongHostKeyPublic { get; }

    public static async Task<SshServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var address = LoopbackAddresses.Reserve();
        string? directory = null;
        try
        {
            directory = await TestDirectories.CreateAsync("sshd", owner: null, cancellationToken);
            var port = LoopbackAddresses.FreePort(address);
            var hostKey = Path.Combine(directory, "ssh_host_ed25519_key");
            var wrongHostKey = Path.Combine(directory, "other_host_ed25519_key");
            var clientKey = Path.Combine(directory, "client_ed25519");
            await Task.WhenAll(
                GenerateKeyAsync(hostKey, "pgha-test-host", cancellationToken),
                GenerateKeyAsync(wrongHostKey, "pgha-test-impostor", cancellationToken),
                GenerateKeyAsync(clientKey, "pgha-test-client", cancellationToken));
            if (Environment.IsPrivilegedProcess)
            {
                // ssh, run as postgres by the module later, refuses a private key that is not its user's own.
                await FixtureCommand.RunCheckedAsync("chown", new[] { $"{User}:{User}", clientKey, clientKey + ".pub" }, cancellationToken);
            }

            var clientPublicKey = (await File.ReadAllTextAsync(clientKey + ".pub", cancellationToken)).Trim();
            // sshd reads authorized_keys as the logging-in user, so it must be readable by postgres.
            var authorizedKeys = Path.Combine(directory, "authorized_keys");
            await File.WriteAllTextAsync(authorizedKeys, clientPublicKey + "\n", cancellationToken);
            // Fixtures run on Linux only; the guard tells the platform analyzer so.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(authorizedKeys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            var config = Path.Combine(directory, "sshd_config");
            await File.WriteAllTextAsync(config, $"""
                # Written by the PgHa test fixture: a private sshd on loopback, key login for postgres only.
                ListenAddress {address}:{port}
                HostKey {hostKey}
                PidFile none
                AuthorizedKeysFile {authorizedKeys}
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin no
                AllowUsers {User}
                # The postgres account is locked (no password); with UsePAM no, sshd refuses locked accounts.
                UsePAM yes
                # Keys live under /tmp, which StrictModes would reject.
                StrictModes no
                PrintMotd no
                LogLevel VERBOSE
                MaxStartups 100
                MaxSessions 50
                Subsystem sftp internal-sftp

                """, cancellationToken);

            System.IO.Directory.CreateDirectory("/run/sshd");
            var log = Path.Combine(directory, "sshd.log");
            var startInfo = new ProcessStartInfo("/usr/sbin/sshd")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { "-D", "-f", config, "-E", log })
            {
                startInfo.ArgumentList.Add(argument);
            }
            var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start /usr/sbin/sshd");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            var server = new SshServer(address, port, directory, process,
                await PublicKeyAsync(hostKey, cancellationToken), await PublicKeyAsync(wrongHostKey, cancellationToken), clientPublicKey);
            try
            {
                await server.WaitUntilListeningAsync(cancellationToken);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
            return server;
        }
        catch
        {
            if (directory is not null && System.IO.Directory.Exists(directory))
            {
                TestDirectories.Delete(directory);
            }
            LoopbackAddresses.Release(address);
            throw;
        }
    }

    /// <summary>Writes a known_hosts file that trusts this server.</summary>
    public void WriteKnownHosts(string path) => File.WriteAllText(path, HostKeyPublicLine + "\n");

    /// <summary>Writes a known_hosts file that names this server with another key: what an impostor looks like.</summary>
    public void WriteWrongKnownHosts(string path) => File.WriteAllText(path, $"{KnownHostsName} {WrongHostKeyPublic}\n");

    public string LogTail(int lines = 40)
    {
        try
        {
            var all = File.ReadAllLines(LogFile);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException exception)
        {
            return $"(no log: {exception.Message})";
        }
    }

    public override string ToString() => $"sshd {Address}:{Port}";

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                // The tree: sshd forks a process per connection, and those must not outlive the fixture.
                _process.Kill(entireProcessTree: true);
            }
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        finally
        {
            _process.Dispose();
            foreach (var leftover in LinuxProcesses.WithCommandLineContaining(Directory + "/"))
            {
                LinuxProcesses.KillHard(leftover);
            }
            TestDirectories.Delete(Directory);
            LoopbackAddresses.Release(Address);
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static string Fingerprint(string publicKeyLine)
    {
        var blob = Convert.FromBase64String(publicKeyLine.Split(' ')[1]);
        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
    }

    private static async Task GenerateKeyAsync(string path, string comment, CancellationToken cancellationToken)
    {
        await FixtureCommand.RunCheckedAsync("ssh-keygen", new[] { "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path }, cancellationToken);
    }

    /// <summary>"type base64" without the comment, as known_hosts wants it.</summary>
    private static async Task<string> PublicKeyAsync(string privateKeyPath, CancellationToken cancellationToken)
    {
        var fields = (await File.ReadAllTextAsync(privateKeyPath + ".pub", cancellationToken)).Trim().Split(' ');
        return $"{fields[0]} {fields[1]}";
    }

    private async Task WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        var listening = await Polling.UntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                return true;
            }
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(Address, Port, cancellationToken);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, StartTimeout, cancellationToken);
        if (_process.HasExited || !listening)
        {
            var state = _process.HasExited ? $"exited with {_process.ExitCode}" : $"not listening after {StartTimeout}";
            throw new InvalidOperationException($"sshd on {Address}:{Port} {state}.\nsshd log:\n{LogTail()}");
        }
    }
}
