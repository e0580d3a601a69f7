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

    /// <summary><see cref="StopAndReadControlScript"/>: pg_ctl refused to signal the server (its message is on stderr); nothing was asked of the server.</summary>
    public const int StopRefused = 10;

    /// <summary><see cref="StopAndReadControlScript"/>: the shutdown was asked for but the server still ran at the deadline; it goes on shutting down.</summary>
    public const int StopStillRunning = 11;

    /// <summary>
    /// One sh script for a stop whose every millisecond counts (the old primary in a switchover, where no
    /// write can be made until it is down): pg_ctl signals the shutdown without waiting (-W), the script
    /// then watches postmaster.pid itself every 10 ms (pg_ctl -w looks every 100 ms), and prints
    /// pg_controldata's output once the server is gone, all in one process start on the node instead of
    /// pg_ctl status, stop and status again and pg_controldata, each its own (runuser or SSH) start.
    /// pg_controldata runs with LC_ALL=C: a translated one would defeat the parser.
    /// The postmaster removes postmaster.pid as the last step of a shutdown, after the shutdown checkpoint
    /// is in pg_control and the walsenders have sent it; a pid file whose process is gone counts as stopped,
    /// as in pg_ctl's own wait. The deadline is in whole seconds, rounded up, so never shorter than asked.
    /// Arguments: $1 bindir, $2 data directory, $3 mode, $4 seconds. Exit 0 with pg_controldata's output,
    /// <see cref="StopRefused"/>, <see cref="StopStillRunning"/>, or pg_controldata's own failure.
    /// "sleep 0.01" needs a sleep that takes fractions (GNU coreutils, busybox), as on every Linux PgHa runs on.
    /// </summary>
    public static readonly string StopAndReadControlScript =
        $"\"$1/pg_ctl\" stop -D \"$2\" -m \"$3\" -W -s || exit {StopRefused}; " +
        "end=$(( $(date +%s) + $4 + 1 )); " +
        "while [ -e \"$2/postmaster.pid\" ]; do " +
        "read -r pid 2>/dev/null < \"$2/postmaster.pid\" && kill -0 \"$pid\" 2>/dev/null || break; " +
        $"[ \"$(date +%s)\" -lt \"$end\" ] || exit {StopStillRunning}; " +
        "sleep 0.01; " +
        "done; " +
        "exec env LC_ALL=C \"$1/pg_controldata\" -D \"$2\"";

    public static IReadOnlyList<string> StopAndReadControl(string binDir, string dataDirectory, PgHaStopMode mode, TimeSpan wait) =>
        ["-c", StopAndReadControlScript, "pgha-stop", binDir, dataDirectory, ModeArgument(mode), Seconds(wait)];

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
