using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using PgHa.Tests.Fixtures;
using PgHa.Tests.Hosting;

namespace PgHa.Tests.Failover;

/// <summary>
/// One node's monitor in a process of its own, as in production: Start-PgHaMonitor run by the console host
/// tools/PgHa.Run. Stopped with SIGTERM (the way systemd stops it), killed if it does not end.
/// </summary>
/// <remarks>
/// Why PgHa.Run rather than the pinned pwsh: the monitor must be the process this class starts (its pid is
/// what SIGTERM, SIGKILL and the cgroup's sh exec reach). `dotnet pwsh` (the .NET tool) is three processes,
/// and a SIGTERM to the first ends it and leaves the pwsh with the monitor running (11 of 11 tries).
/// `dotnet .../pwsh.dll` is one process, but its path is the tool's restore in the NuGet cache, where
/// PgHa.Run is a project reference built with this assembly, on the same PowerShell SDK. Not for speed:
/// measured on the loaded 2-core machine (load 20-40), start to the monitor's first log line, medians of 6:
/// PgHa.Run 5.1 s (2.0 s CPU, 125 MB RSS), dotnet pwsh 5.6 s (2.4 s, 221 MB over its 3 processes),
/// dotnet pwsh.dll 5.5 s (2.0 s, 136 MB).
/// </remarks>
public sealed partial class MonitorProcess : IAsyncDisposable
{
    private const string Script = """
        # Start-PgHaMonitor for the failover tests: conninfo, node name, local conninfo, log file, then name/value pairs.
        $settings = @{ Conninfo = $args[0]; Name = $args[1]; LogFile = $args[3] }
        if ($args[2]) { $settings.LocalConninfo = $args[2] }
        # 'true' and 'false' become booleans, so that a switch (-ManageServer) can be given as a pair too.
        for ($i = 4; $i -lt $args.Count; $i += 2) {
            $value = $args[$i + 1]
            if ($value -eq 'true') { $value = $true } elseif ($value -eq 'false') { $value = $false }
            $settings[$args[$i]] = $value
        }
        Start-PgHaMonitor @settings
        """;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly DateTime _startedUtc = DateTime.UtcNow;

    private MonitorProcess(string nodeName, Process process, string logFile)
    {
        NodeName = nodeName;
        _process = process;
        LogFile = logFile;
    }

    public string NodeName { get; }

    public string LogFile { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The monitor's own log file (every line it wrote), then what the process printed.</summary>
    public string Describe()
    {
        string log = File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log file)";
        lock (_output)
        {
            return $"--- monitor of {NodeName} (pid {Pid}{(_process.HasExited ? $", exited {_process.ExitCode}" : string.Empty)}) ---\n{log}\n--- console ---\n{_output}";
        }
    }

    /// <param name="cgroupProcsFile">When given, the monitor runs inside that cgroup (v2) from its first instruction on: sh joins it, then execs dotnet.</param>
    public static MonitorProcess Start(string nodeName, string conninfo, string? localConninfo, string directory, IReadOnlyDictionary<string, string>? settings = null, string? cgroupProcsFile = null)
    {
        Directory.CreateDirectory(directory);
        string script = Path.Combine(directory, "monitor.ps1");
        File.WriteAllText(script, Script);
        string logFile = Path.Combine(directory, $"monitor-{nodeName}.log");
        var start = new ProcessStartInfo(cgroupProcsFile is null ? "dotnet" : "/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        if (cgroupProcsFile is not null)
        {
            foreach (string argument in new[] { "-c", "echo $$ > \"$0\" && exec \"$@\"", cgroupProcsFile, "dotnet" })
            {
                start.ArgumentList.Add(argument);
            }
        }
        foreach (string argument in new[] { RunnerPath(), script, conninfo, nodeName, localConninfo ?? string.Empty, logFile })
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(value);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var monitor = new MonitorProcess(nodeName, process, logFile);
        process.OutputDataReceived += (_, e) => monitor.Append(e.Data);
        process.ErrorDataReceived += (_, e) => monitor.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return monitor;
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

    /// <summary>
    /// When this process began running the monitor (UTC): its DEBUG line "Starting the monitor of ..., N s after
    /// its process started", written once the runtime, PowerShell and the module have loaded; null before then.
    /// </summary>
    public DateTime? RunningSinceUtc()
    {
        if (!File.Exists(LogFile))
        {
            return null;
        }
        foreach (string line in File.ReadLines(LogFile).Reverse())
        {
            var match = StartupLine().Match(line);
            if (match.Success)
            {
                var at = DateTime.ParseExact(match.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
                // The log goes on across restarts: the line must be this process's, not its predecessor's.
                return at >= _startedUtc.AddSeconds(-1) ? at : null;
            }
        }
        return null;
    }

    [GeneratedRegex(@"^\[(?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC\] \[DEBUG\] Starting the monitor of .* after its process started")]
    private static partial Regex StartupLine();

    /// <summary>SIGTERM, then up to 15 s for a clean end; killed otherwise. True when it ended by itself.</summary>
    public async Task<bool> StopAsync()
    {
        if (_process.HasExited)
        {
            return true;
        }
        _ = Kill(_process.Id, 15);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            return false;
        }
    }

    /// <summary>SIGKILL: the monitor dies without a word, as when its host hangs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    /// <summary>tools/PgHa.Run built in the same configuration as this test assembly.</summary>
    internal static string RunnerPath()
    {
        string configuration = typeof(MonitorProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string path = Path.Combine(RepositoryPaths.Root, "tools", "PgHa.Run", "bin", configuration, "net10.0", "PgHa.Run.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("tools/PgHa.Run is not built (the test project references it, so building the tests builds it).", path);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
