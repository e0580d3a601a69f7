using System.Globalization;

namespace PgHa.Operations.Service;

/// <summary>
/// The pg_ctl command lines PgHa runs and how it reads their answers, apart from running them so the
/// rules can be tested without a server.
/// </summary>
internal static class PgCtlCommand
{
    /// <summary>pg_ctl status: the server runs.</summary>
    public const int StatusRunning = 0;

    /// <summary>pg_ctl status: no server runs in the directory (also when a stale postmaster.pid names a dead process).</summary>
    public const int StatusNotRunning = 3;

    /// <summary>pg_ctl status: the data directory is missing or not accessible.</summary>
    public const int StatusNoDataDirectory = 4;

    /// <summary>
    /// Extra time the transport gives pg_ctl beyond its own -t, so pg_ctl normally gives up first and says
    /// why; the transport's timeout only catches a pg_ctl (or SSH session) that hangs.
    /// </summary>
    public static readonly TimeSpan TransportGrace = TimeSpan.FromSeconds(15);

    /// <summary>pg_ctl -t takes whole seconds; a part second rounds up so the wait is never shorter than asked.</summary>
    public static int WaitSeconds(TimeSpan wait) =>
        wait <= TimeSpan.Zero ? 1 : (int)Math.Min(int.MaxValue, Math.Ceiling(wait.TotalSeconds));

    public static IReadOnlyList<string> Start(string dataDirectory, string logFile, TimeSpan wait) =>
        // -l is not optional: without it the server inherits pg_ctl's stdout, and a command run over SSH
        // (or a local pipe) would never see end-of-output and never return.
        ["-D", dataDirectory, "-l", logFile, "-w", "-t", Seconds(wait), "start"];

    public static IReadOnlyList<string> Stop(string dataDirectory, PgHaStopMode mode, TimeSpan wait) =>
        ["-D", dataDirectory, "-m", ModeArgument(mode), "-w", "-t", Seconds(wait), "stop"];

    public static IReadOnlyList<string> Status(string dataDirectory) => ["-D", dataDirectory, "status"];

    public static string ModeArgument(PgHaStopMode mode) => mode switch
    {
        PgHaStopMode.Smart => "smart",
        PgHaStopMode.Fast => "fast",
        PgHaStopMode.Immediate => "immediate",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown stop mode."),
    };

    /// <summary>
    /// The postmaster's pid: the first line of postmaster.pid, else the "(PID: n)" pg_ctl status prints.
    /// Null when neither holds a number.
    /// </summary>
    public static int? PostmasterPid(string? postmasterPidFile, string statusOutput)
    {
        if (postmasterPidFile is not null)
        {
            string firstLine = postmasterPidFile.Split('\n', 2)[0].Trim();
            if (int.TryParse(firstLine, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0)
            {
                return pid;
            }
        }
        const string marker = "(PID: ";
        int at = statusOutput.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            int start = at + marker.Length;
            int end = statusOutput.IndexOf(')', start);
            if (end > start && int.TryParse(statusOutput.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out int fromStatus))
            {
                return fromStatus;
            }
        }
        return null;
    }

    /// <summary>The last <paramref name="count"/> non-empty lines of a log text, for an error message.</summary>
    public static string Tail(string text, int count)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').Where(line => line.Length > 0).ToList();
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Count - count)));
    }

    private static string Seconds(TimeSpan wait) => WaitSeconds(wait).ToString(CultureInfo.InvariantCulture);
}
