using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;

namespace PgHa.Tests.Health;

/// <summary>A node behind HAProxy: where PostgreSQL listens and where its monitor's health endpoint answers.</summary>
public sealed record HaproxyBackend(string Name, string Address, int PostgresPort, int HttpPort);

/// <summary>
/// HAProxy from Debian, run in the foreground on a loopback address of its own with the configuration of
/// examples/haproxy/haproxy.cfg. Only the addresses and ports of its "bind" and "server" lines are
/// replaced; every check, timeout and routing rule is the example's. Stopped by its PID.
/// </summary>
public sealed partial class HaproxyProcess : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/haproxy";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HaproxyProcess(Process process, string address, int readWritePort, int readOnlyPort, string configuration)
    {
        _process = process;
        Address = address;
        ReadWritePort = readWritePort;
        ReadOnlyPort = readOnlyPort;
        Configuration = configuration;
    }

    public string Address { get; }

    public int ReadWritePort { get; }

    public int ReadOnlyPort { get; }

    public string Configuration { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    [GeneratedRegex(@"^\s+server\s+pgsql\d+\s.*$")]
    private static partial Regex ServerLine();

    /// <summary>The example configuration with this test's addresses: every backend gets one server line per node.</summary>
    public static string Template(string example, string address, int readWritePort, int readOnlyPort, IReadOnlyList<HaproxyBackend> nodes)
    {
        var text = new StringBuilder();
        bool serversWritten = false;
        foreach (string line in example.Split('\n'))
        {
            if (line.Trim() == "bind *:5000")
            {
                text.Append($"    bind {address}:{readWritePort}\n");
            }
            else if (line.Trim() == "bind *:5001")
            {
                text.Append($"    bind {address}:{readOnlyPort}\n");
            }
            else if (ServerLine().IsMatch(line))
            {
                string example1 = line.Trim();
                if (!serversWritten)
                {
                    // "server pgsql1 10.0.0.11:5432 check port 8008": keep what follows the port, replace name, address and ports.
                    string options = Regex.Replace(example1, @"^server\s+\S+\s+\S+\s+", "");
                    foreach (HaproxyBackend node in nodes)
                    {
                        text.Append($"    server {node.Name} {node.Address}:{node.PostgresPort} {Regex.Replace(options, @"\bport 8008\b", $"port {node.HttpPort}")}\n");
                    }
                    serversWritten = true;
                }
            }
            else
            {
                serversWritten = false;
                text.Append(line).Append('\n');
            }
        }
        string result = text.ToString().TrimEnd('\n') + "\n";
        string[] settings = result.Split('\n').Where(l => !l.TrimStart().StartsWith('#')).ToArray();
        if (settings.Any(l => l.Contains("10.0.0.", StringComparison.Ordinal) || l.Contains("*:500", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("The example haproxy.cfg changed shape: the fixture left an example address in it.\n" + result);
        }
        return result;
    }

    public static async Task<HaproxyProcess> StartAsync(string directory, IReadOnlyList<HaproxyBackend> nodes)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: run tools/setup.sh (it installs haproxy).");
        }
        string address = LoopbackAddresses.Reserve();
        int readWrite = LoopbackAddresses.FreePort(address);
        int readOnly;
        do
        {
            readOnly = LoopbackAddresses.FreePort(address);
        }
        while (readOnly == readWrite);
        string configuration = Template(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "haproxy", "haproxy.cfg")), address, readWrite, readOnly, nodes);
        Directory.CreateDirectory(directory);
        string file = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(file, configuration);

        var check = Process.Start(new ProcessStartInfo(Binary, ["-c", "-f", file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string checkOutput = await check.StandardOutput.ReadToEndAsync() + await check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync();
        if (check.ExitCode != 0)
        {
            LoopbackAddresses.Release(address);
            throw new InvalidOperationException($"haproxy -c refused the configuration:\n{checkOutput}\n{configuration}");
        }

        var start = new ProcessStartInfo(Binary, ["-db", "-f", file]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(start) ?? throw new InvalidOperationException("haproxy did not start");
        var haproxy = new HaproxyProcess(process, address, readWrite, readOnly, configuration);
        process.OutputDataReceived += (_, e) => haproxy.Append(e.Data);
        process.ErrorDataReceived += (_, e) => haproxy.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool listening = await Polling.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                return true;
            }
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(address, readWrite);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10));
        if (process.HasExited || !listening)
        {
            string output = haproxy.Output;
            await haproxy.DisposeAsync();
            throw new InvalidOperationException($"HAProxy did not listen on {address}:{readWrite}:\n{output}");
        }
        return haproxy;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(); // by its own PID; -db keeps it one process
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        LoopbackAddresses.Release(Address);
    }
}
