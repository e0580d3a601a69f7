using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace PgHa.Transport;

/// <summary>
/// Runs programs on a node over SSH (SSH.NET), as the user logged in (the PostgreSQL OS user). The
/// server's host key is checked against known_hosts before anything is sent; commands travel as one
/// string built by <see cref="ShellQuoting.Join"/>, so the remote shell passes every argument through
/// unchanged. One connection serves all commands; SSH multiplexes them as channels.
/// </summary>
public sealed class SshTransport : INodeTransport
{
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(2);

    private readonly SshClient _client;
    private readonly SshTransportOptions _options;
    private volatile bool _disposed;

    private SshTransport(SshClient client, SshTransportOptions options)
    {
        _client = client;
        _options = options;
    }

    public string Description => $"ssh {_options}";

    /// <summary>Whether the SSH session is still up (a server restart or a killed sshd child ends it; so does DisposeAsync).</summary>
    internal bool IsConnected => !_disposed && _client.IsConnected;

    /// <summary>
    /// Connects, verifies the host key and logs in. Throws <see cref="SshHostKeyUnknownException"/>
    /// or <see cref="SshHostKeyMismatchException"/> when known_hosts does not vouch for the server,
    /// <see cref="SshAuthenticationException"/> when login fails, and <see cref="SocketException"/> or
    /// <see cref="SshOperationTimeoutException"/> when the server cannot be reached in time.
    /// </summary>
    public static async Task<SshTransport> ConnectAsync(SshTransportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Host);

        var knownHostsPath = options.EffectiveKnownHostsPath;
        var knownHosts = KnownHostsFile.Load(knownHostsPath);
        var connectionInfo = new ConnectionInfo(options.Host, options.Port, options.EffectiveUserName, AuthenticationMethods(options).ToArray())
        {
            Timeout = options.ConnectTimeout,
        };
        PreferKnownKeyTypes(connectionInfo, knownHosts.KnownKeyTypes(options.Host, options.Port));

        var client = new SshClient(connectionInfo) { KeepAliveInterval = KeepAliveInterval };
        Exception? refusal = null;
        byte[]? keyToAppend = null;
        client.HostKeyReceived += (_, e) =>
        {
            var blob = e.HostKey;
            var keyType = KnownHostsFile.KeyTypeOf(blob);
            var fingerprint = KnownHostsFile.Fingerprint(blob);
            switch (knownHosts.Check(options.Host, options.Port, blob))
            {
                case HostKeyVerdict.Trusted:
                    e.CanTrust = true;
                    break;
                case HostKeyVerdict.Unknown when options.AcceptNewHostKey:
                    // Written only once the login succeeded: a server that fails the handshake is not remembered.
                    keyToAppend = blob;
                    e.CanTrust = true;
                    break;
                case HostKeyVerdict.Unknown:
                    refusal = new SshHostKeyUnknownException(options.Host, options.Port, keyType, fingerprint, knownHostsPath);
                    e.CanTrust = false;
                    break;
                case var verdict:
                    refusal = new SshHostKeyMismatchException(options.Host, options.Port, keyType, fingerprint, knownHostsPath, verdict == HostKeyVerdict.Revoked);
                    e.CanTrust = false;
                    break;
            }
        };

        try
        {
            await client.ConnectAsync(cancellationToken);
        }
        catch (Exception) when (refusal is not null)
        {
            client.Dispose();
            // SSH.NET reports a refused host key as a failed key exchange; the caller needs to know why.
            throw refusal;
        }
        catch
        {
            client.Dispose();
            throw;
        }

        if (keyToAppend is not null)
        {
            KnownHostsFile.Append(knownHostsPath, options.Host, options.Port, keyToAppend);
        }
        return new SshTransport(client, options);
    }

    public async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, CommandOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(arguments);
        options ??= new CommandOptions();

        var clock = Stopwatch.StartNew();
        using var command = _client.CreateCommand(ShellQuoting.Join(program, arguments), new UTF8Encoding(false));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Timeout is { } timeout)
        {
            deadline.CancelAfter(timeout);
        }

        var execution = command.ExecuteAsync(deadline.Token);
        var collector = new CommandOutputCollector(options.OnOutputLine);
        // SSH.NET's output streams end when the command's channel closes; reading them while the
        // command runs is what lets progress lines reach the callback as they come.
        var drainOutput = collector.DrainAsync(command.OutputStream, CommandOutputStream.StandardOutput, CancellationToken.None);
        var drainError = collector.DrainAsync(command.ExtendedOutputStream, CommandOutputStream.StandardError, CancellationToken.None);
        try
        {
            await SendStandardInputAsync(command, options.StandardInput, deadline.Token);
            await execution;
        }
        catch (OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{program} did not finish within {options.Timeout} ({Description}); PgHa asked the server to stop it.");
        }
        await Task.WhenAny(Task.WhenAll(drainOutput, drainError), Task.Delay(OutputGrace, CancellationToken.None));

        // A command killed by a signal has no exit status; report it as a shell would (128 + signal).
        var exitCode = command.ExitStatus ?? (command.ExitSignal is { } signal ? 128 + SignalNumber(signal) : -1);
        return new CommandResult(exitCode, collector.StandardOutput, collector.StandardError, clock.Elapsed);
    }

    public Task<string?> ReadFileAsync(string path, CancellationToken cancellationToken) =>
        NodeFileCommands.ReadAsync(this, path, cancellationToken);

    public Task WriteFileAsync(string path, string content, CancellationToken cancellationToken) =>
        NodeFileCommands.WriteAsync(this, path, content, cancellationToken);

    public Task<bool> PathExistsAsync(string path, CancellationToken cancellationToken) =>
        NodeFileCommands.ExistsAsync(this, path, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        try
        {
            if (_client.IsConnected)
            {
                _client.Disconnect();
            }
        }
        finally
        {
            _client.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    public override string ToString() => Description;

    /// <summary>
    /// Sends the input and then EOF, which a program reading stdin (cat, psql -f -) waits for. An empty
    /// input gets no EOF from SSH.NET, so callers do not send one (see NodeFileCommands.WriteAsync).
    /// </summary>
    private static async Task SendStandardInputAsync(SshCommand command, string? text, CancellationToken cancellationToken)
    {
        try
        {
            using var input = command.CreateInputStream();
            if (text is not null)
            {
                await input.WriteAsync(new UTF8Encoding(false).GetBytes(text), cancellationToken);
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException or SshException or IOException)
        {
            // The command finished (its channel closed) before taking its input, as `true` does at
            // once; its exit status tells the story, as for a local program that exits early.
        }
    }

    private static IEnumerable<AuthenticationMethod> AuthenticationMethods(SshTransportOptions options)
    {
        var user = options.EffectiveUserName;
        if (options.PrivateKeyPath is not null)
        {
            var key = options.PrivateKeyPassphrase is null
                ? new PrivateKeyFile(options.PrivateKeyPath)
                : new PrivateKeyFile(options.PrivateKeyPath, options.PrivateKeyPassphrase);
            yield return new PrivateKeyAuthenticationMethod(user, key);
        }
        if (options.Credential is { } credential)
        {
            var password = credential.Password;
            yield return new PasswordAuthenticationMethod(user, password);
            var interactive = new KeyboardInteractiveAuthenticationMethod(user);
            interactive.AuthenticationPrompt += (_, e) =>
            {
                // Servers with PasswordAuthentication off but PAM on ask for the password this way.
                foreach (var prompt in e.Prompts)
                {
                    prompt.Response = password;
                }
            };
            yield return interactive;
        }
        if (options.PrivateKeyPath is null && options.Credential is null)
        {
            throw new ArgumentException("SSH needs a private key file or a credential.", nameof(options));
        }
    }

    /// <summary>
    /// Asks the server for a host key of a type known_hosts already holds, as OpenSSH does: otherwise a
    /// server with ed25519 and ecdsa keys could offer the one the file lacks and look unknown.
    /// </summary>
    private static void PreferKnownKeyTypes(ConnectionInfo connectionInfo, IReadOnlySet<string> knownKeyTypes)
    {
        if (knownKeyTypes.Count == 0)
        {
            return;
        }
        var algorithms = connectionInfo.HostKeyAlgorithms;
        var preferred = algorithms.Keys.Where(name => knownKeyTypes.Contains(KeyTypeOfAlgorithm(name))).ToList();
        var position = 0;
        foreach (var name in preferred)
        {
            var factory = algorithms[name];
            algorithms.Remove(name);
            algorithms.Insert(position++, name, factory);
        }
    }

    private static string KeyTypeOfAlgorithm(string algorithm) => algorithm switch
    {
        "rsa-sha2-512" or "rsa-sha2-256" => "ssh-rsa",
        _ => algorithm,
    };

    private static int SignalNumber(string signal) => signal switch
    {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "ABRT" => 6,
        "FPE" => 8,
        "KILL" => 9,
        "SEGV" => 11,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        _ => 0,
    };
}
