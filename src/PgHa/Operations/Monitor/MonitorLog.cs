using System.Globalization;
using PgHa.Core;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The monitor's log: every line goes to the information stream (or verbose) of the cmdlet, warnings to
/// the warning stream, and all of them, time-stamped, to the log file when one is given. Never a password:
/// lines name nodes, terms and LSNs, and conninfos only through ToDisplayString.
/// </summary>
internal sealed class MonitorLog
{
    private readonly IOperationReporter _reporter;
    private readonly Action<string>? _information;
    private readonly string? _file;
    private readonly object _fileGate = new();

    public MonitorLog(IOperationReporter reporter, Action<string>? information, string? file)
    {
        _reporter = reporter;
        _information = information;
        _file = file;
        if (file is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        }
    }

    public void Info(string message)
    {
        if (_information is not null)
        {
            _information(message);
        }
        else
        {
            _reporter.Verbose(message);
        }
        Append("INFO", message);
    }

    /// <summary>Detail: the engine's verbose lines, to the verbose stream and (as DEBUG) the log file.</summary>
    public void Debug(string message)
    {
        _reporter.Verbose(message);
        Append("DEBUG", message);
    }

    /// <summary>The reporter to give the engine's operations (promote, follow, rejoin, fence), so their steps land in the log file too.</summary>
    public IOperationReporter AsReporter() => new LogReporter(this);

    private sealed class LogReporter(MonitorLog log) : IOperationReporter
    {
        public void Verbose(string message) => log.Debug(message);

        public void Warning(string message) => log.Warning(message);

        public void Progress(string activity, string status, int percentComplete) => log.Debug($"{activity}: {status}");
    }

    public void Warning(string message)
    {
        _reporter.Warning(message);
        Append("WARNING", message);
    }

    private void Append(string level, string message)
    {
        if (_file is null)
        {
            return;
        }
        string line = string.Create(CultureInfo.InvariantCulture, $"[{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss.fff} UTC] [{level}] {message}{Environment.NewLine}");
        lock (_fileGate)
        {
            File.AppendAllText(_file, line);
        }
    }
}
