using System.Diagnostics;
using System.Text.Json;

namespace PgHa.Tests.Fixtures;

/// <summary>
/// A real etcd cluster (Debian's etcd 3.4, installed by tools/setup.sh) on loopback: each member on its own
/// address with data under /tmp/pgha-tests, started as a child process and stopped by its PID. With TLS, the
/// client port serves https with a CA made by openssl for this cluster and asks for client certificates;
/// ClientCertificate/ClientKey/CaCertificate are the files a client needs. Members can be stopped, killed and
/// started again to make etcd lose a member, its leader or its quorum.
/// </summary>
internal sealed class EtcdCluster : IAsyncDisposable
{
    public const string EtcdBinary = "/usr/bin/etcd";
    public const string EtcdctlBinary = "/usr/bin/etcdctl";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly List<EtcdClusterMember> _members = new();

    private EtcdCluster(string directory, bool tls)
    {
        Directory = directory;
        Tls = tls;
    }

    public string Directory { get; }

    public bool Tls { get; }

    public IReadOnlyList<EtcdClusterMember> Members => _members;

    /// <summary>"user:password" etcdctl logs in with once the cluster's access control is on (health checks need a user then).</summary>
    public string? EtcdctlUser { get; set; }

    public string CaCertificate => Path.Combine(Directory, "ca.crt");

    public string ClientCertificate => Path.Combine(Directory, "client.crt");

    public string ClientKey => Path.Combine(Directory, "client.key");

    /// <summary>The client URLs, comma-separated, as etcdctl and PgHa take them.</summary>
    public string Endpoints => string.Join(",", _members.Select(m => m.ClientUrl));

    public static async Task<EtcdCluster> StartAsync(int size = 3, bool tls = false, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(EtcdBinary) || !File.Exists(EtcdctlBinary))
        {
            throw new InvalidOperationException($"{EtcdBinary} or {EtcdctlBinary} is missing: run tools/setup.sh (installs etcd-server and etcd-client).");
        }
        var cluster = new EtcdCluster(await TestDirectories.CreateAsync("etcd", owner: null, cancellationToken), tls);
        try
        {
            for (var i = 1; i <= size; i++)
            {
                var address = LoopbackAddresses.Reserve();
                cluster._members.Add(new EtcdClusterMember(
                    $"etcd{i}", address, LoopbackAddresses.FreePort(address), LoopbackAddresses.FreePort(address),
                    Path.Combine(cluster.Directory, $"etcd{i}"), tls));
            }
            if (tls)
            {
                await cluster.CreateCertificatesAsync(cancellationToken);
            }
            foreach (var member in cluster._members)
            {
                cluster.Launch(member);
            }
            await cluster.WaitHealthyAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a stopped member again with its data directory; it rejoins the cluster.</summary>
    public void Start(EtcdClusterMember member)
    {
        if (member.Process is { HasExited: false })
        {
            throw new InvalidOperationException($"{member.Name} runs already (PID {member.Process.Id}).");
        }
        Launch(member);
    }

    /// <summary>Stops a member: SIGTERM (a leader hands its leadership on first) or SIGKILL (it just vanishes).</summary>
    public async Task StopAsync(EtcdClusterMember member, bool kill = false)
    {
        var process = member.Process ?? throw new InvalidOperationException($"{member.Name} was never started.");
        if (!process.HasExited)
        {
            if (kill)
            {
                process.Kill();
            }
            else
            {
                await FixtureCommand.RunAsync("kill", new[] { "-TERM", process.Id.ToString() });
            }
        }
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>The member etcd's raft has as leader now, asked of the running members (null while there is none).</summary>
    public async Task<EtcdClusterMember?> LeaderAsync(CancellationToken cancellationToken = default)
    {
        var running = _members.Where(m => m.Process is { HasExited: false }).ToList();
        var result = await FixtureCommand.RunAsync(EtcdctlBinary,
            Etcdctl(running, "endpoint", "status", "--write-out=json"), cancellationToken, TimeSpan.FromSeconds(15));
        if (!result.Succeeded && result.StandardOutput.Trim().Length == 0)
        {
            return null;
        }
        using var document = JsonDocument.Parse(result.StandardOutput);
        foreach (var endpoint in document.RootElement.EnumerateArray())
        {
            var status = endpoint.GetProperty("Status");
            var self = status.GetProperty("header").GetProperty("member_id").GetUInt64();
            if (status.TryGetProperty("leader", out var leader) && leader.GetUInt64() == self)
            {
                var url = endpoint.GetProperty("Endpoint").GetString();
                return running.First(m => m.ClientUrl == url);
            }
        }
        return null;
    }

    /// <summary>Runs etcdctl against the given members (all when none are named), with the cluster's TLS files.</summary>
    public Task<FixtureCommandResult> EtcdctlAsync(IEnumerable<string> arguments, IReadOnlyList<EtcdClusterMember>? members = null, CancellationToken cancellationToken = default) =>
        FixtureCommand.RunAsync(EtcdctlBinary, Etcdctl(members ?? _members, arguments.ToArray()), cancellationToken, TimeSpan.FromSeconds(30));

    /// <summary>Waits until every running member reports healthy (a quorum read through each one answers).</summary>
    public async Task WaitHealthyAsync(CancellationToken cancellationToken = default)
    {
        FixtureCommandResult? last = null;
        var healthy = await Polling.UntilAsync(async () =>
        {
            var running = _members.Where(m => m.Process is { HasExited: false }).ToList();
            last = await FixtureCommand.RunAsync(EtcdctlBinary, Etcdctl(running, "endpoint", "health", "--command-timeout=2s"), cancellationToken, TimeSpan.FromSeconds(15));
            return last.Succeeded;
        }, StartTimeout, cancellationToken);
        if (!healthy)
        {
            var logs = string.Join("\n", _members.Select(m => $"--- {m.Name} ({m.LogFile}):\n{Tail(m.LogFile)}"));
            throw new InvalidOperationException($"etcd did not become healthy within {StartTimeout}:\n{last?.Describe()}\n{logs}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            if (member.Process is { HasExited: false } process)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }
            member.Process?.Dispose();
            LoopbackAddresses.Release(member.Address);
        }
        TestDirectories.Delete(Directory);
    }

    private string[] Etcdctl(IEnumerable<EtcdClusterMember> members, params string[] arguments)
    {
        var list = new List<string> { "--endpoints=" + string.Join(",", members.Select(m => m.ClientUrl)) };
        if (Tls)
        {
            list.AddRange(new[] { "--cacert=" + CaCertificate, "--cert=" + ClientCertificate, "--key=" + ClientKey });
        }
        if (EtcdctlUser is not null)
        {
            list.Add("--user=" + EtcdctlUser);
        }
        list.AddRange(arguments);
        return list.ToArray();
    }

    private void Launch(EtcdClusterMember member)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(member.LogFile)!);
        // The gateway's gRPC client writes its warnings to stderr, not to the zap log: kept beside the log, out of the test output.
        var startInfo = new ProcessStartInfo(EtcdBinary)
        {
            UseShellExecute = false,
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var arguments = new List<string>
        {
            "--name", member.Name,
            "--data-dir", member.DataDirectory,
            "--listen-client-urls", member.ClientUrl,
            "--advertise-client-urls", member.ClientUrl,
            "--listen-peer-urls", member.PeerUrl,
            "--initial-advertise-peer-urls", member.PeerUrl,
            "--initial-cluster", string.Join(",", _members.Select(m => $"{m.Name}={m.PeerUrl}")),
            "--initial-cluster-token", Path.GetFileName(Directory),
            "--initial-cluster-state", "new",
            // etcd's defaults (100 ms heartbeat, 1 s election timeout): the timing users run with.
            "--heartbeat-interval", "100",
            "--election-timeout", "1000",
            "--logger", "zap",
            "--log-outputs", member.LogFile,
        };
        if (Tls)
        {
            arguments.AddRange(new[]
            {
                "--cert-file", Path.Combine(Directory, member.Name + ".crt"),
                "--key-file", Path.Combine(Directory, member.Name + ".key"),
                "--trusted-ca-file", CaCertificate,
                "--client-cert-auth",
            });
        }
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        // A restart passes the same flags: etcd ignores the initial-cluster ones once its data directory exists.
        member.Process?.Dispose();
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {EtcdBinary} for {member.Name}.");
        var outputFile = member.LogFile + ".out";
        DataReceivedEventHandler append = (_, line) =>
        {
            if (line.Data is null)
            {
                return;
            }
            lock (member)
            {
                try
                {
                    File.AppendAllText(outputFile, line.Data + "\n");
                }
                catch (IOException)
                {
                    // The directory is being removed after the test: the line is not needed any more.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        member.Process = process;
    }

    /// <summary>A CA, a server certificate per member (its loopback address as subjectAltName) and a client certificate.</summary>
    private async Task CreateCertificatesAsync(CancellationToken cancellationToken)
    {
        await OpensslAsync(cancellationToken, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", Path.Combine(Directory, "ca.key"), "-out", CaCertificate, "-days", "2", "-subj", "/CN=PgHa test etcd CA");
        foreach (var member in _members)
        {
            await IssueAsync(member.Name, $"subjectAltName=IP:{member.Address}\nextendedKeyUsage=serverAuth,clientAuth\n", cancellationToken);
        }
        // No CommonName: etcd's JSON gateway refuses client certificates that have one under --client-cert-auth.
        await IssueAsync("client", "extendedKeyUsage=clientAuth\n", cancellationToken, subject: "/O=PgHa test client");
    }

    private async Task IssueAsync(string name, string extensions, CancellationToken cancellationToken, string? subject = null)
    {
        var key = Path.Combine(Directory, name + ".key");
        var request = Path.Combine(Directory, name + ".csr");
        var extensionFile = Path.Combine(Directory, name + ".ext");
        await File.WriteAllTextAsync(extensionFile, extensions, cancellationToken);
        await OpensslAsync(cancellationToken, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", request, "-subj", subject ?? "/CN=" + name);
        await OpensslAsync(cancellationToken, "x509", "-req", "-in", request, "-CA", CaCertificate, "-CAkey", Path.Combine(Directory, "ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", extensionFile, "-out", Path.Combine(Directory, name + ".crt"));
    }

    private static Task<FixtureCommandResult> OpensslAsync(CancellationToken cancellationToken, params string[] arguments) =>
        FixtureCommand.RunCheckedAsync("openssl", arguments, cancellationToken);

    private static string Tail(string file)
    {
        try
        {
            var lines = File.ReadAllLines(file);
            return string.Join("\n", lines.Skip(Math.Max(0, lines.Length - 15)));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}
