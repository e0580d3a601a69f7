using System.Globalization;
using System.Text.RegularExpressions;
using PgHa.Operations.Host;
using PgHa.Transport;

namespace PgHa.Operations.Clone;

/// <summary>
/// Everything New-PgHaStandby needs to know about the target host, from one fixed shell script (the
/// paths arrive as $1 and $2, never parsed by the shell): which programs are there and their version,
/// whether the data directory exists, holds anything, runs a server, is a base backup never started
/// (backup_label), and what pg_controldata says of it, and the free space. One process instead of a dozen: each costs tens of milliseconds (more over SSH).
/// </summary>
internal sealed record TargetSurvey(
    IReadOnlySet<string> Programs,
    int? BaseBackupMajorVersion,
    bool Exists,
    bool NotEmpty,
    bool ServerRunning,
    bool NeverStartedBaseBackup,
    PgControlData? ControlData,
    long? AvailableKilobytes,
    long? UsedKilobytes,
    string DiskPath,
    string DiskError,
    string? HistoryOfSourceTimeline = null)
{
    public static readonly string[] RequiredPrograms = ["pg_basebackup", "pg_ctl", "psql", "pg_controldata"];

    // pg_ctl status: 0 running, 3 not running. LC_ALL=C keeps pg_controldata's labels untranslated.
    private const string Script = """
        bin="$1"; dir="$2"; sizes="$3"; history="$4"
        for p in pg_basebackup pg_ctl psql pg_controldata; do [ -x "$bin/$p" ] && echo "program $p"; done
        [ -x "$bin/pg_basebackup" ] && echo "version $("$bin/pg_basebackup" --version 2>&1)"
        where="$dir"
        if [ -e "$dir" ]; then
          echo "exists"
          [ -n "$(find "$dir" -mindepth 1 -maxdepth 1 -print -quit 2>&1)" ] && echo "notempty"
          if [ -e "$dir/PG_VERSION" ] && [ -x "$bin/pg_ctl" ]; then "$bin/pg_ctl" status -D "$dir" >/dev/null 2>&1; echo "status $?"; fi
          [ -e "$dir/backup_label" ] && echo "backuplabel"
          if [ -e "$dir/global/pg_control" ] && [ -x "$bin/pg_controldata" ]; then LC_ALL=C "$bin/pg_controldata" -D "$dir" 2>/dev/null | sed 's/^/control /'; fi
          if [ -n "$history" ] && [ -f "$dir/pg_wal/$history.history" ]; then echo "hashistory"; sed 's/^/history /' "$dir/pg_wal/$history.history"; fi
          [ "$sizes" = du ] && echo "used $(du -s -k -x -- "$dir" 2>/dev/null | cut -f1)"
        else
          where=$(dirname -- "$dir")
        fi
        echo "diskpath $where"
        df -P -k -- "$where" 2>&1 | tail -n 1 | sed 's/^/df /'
        """;

    /// <summary>
    /// Surveys the target; <paramref name="sourceTimeline"/> (above 1) also reads the target's history file of
    /// that timeline number, if it has one, to tell the source's timeline from another one of the same number.
    /// </summary>
    public static async Task<TargetSurvey> ReadAsync(INodeTransport target, string binDir, string dataDirectory, bool measureUsedSpace, int? sourceTimeline, CancellationToken ct)
    {
        string history = sourceTimeline is > 1 and int t ? t.ToString("X8", CultureInfo.InvariantCulture) : string.Empty;
        CommandResult result = await target.RunAsync("sh", ["-c", Script, "pgha-survey", binDir, dataDirectory, measureUsedSpace ? "du" : "no", history],
            new CommandOptions { Timeout = TimeSpan.FromMinutes(2) }, ct).ConfigureAwait(false);
        return Parse(result.StandardOutput);
    }

    public static TargetSurvey Parse(string output)
    {
        var programs = new HashSet<string>(StringComparer.Ordinal);
        int? major = null;
        bool exists = false, notEmpty = false, running = false, backupLabel = false;
        var control = new List<string>();
        long? available = null, used = null;
        string diskPath = string.Empty, diskError = string.Empty;
        List<string>? history = null;
        foreach (string line in output.Split('\n'))
        {
            int space = line.IndexOf(' ');
            string key = space < 0 ? line : line[..space];
            string value = space < 0 ? string.Empty : line[(space + 1)..];
            switch (key)
            {
                case "program": programs.Add(value.Trim()); break;
                case "version":
                    Match m = Regex.Match(value, @"\(PostgreSQL\)\s+(\d+)", RegexOptions.CultureInvariant);
                    major = m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
                    break;
                case "exists": exists = true; break;
                case "notempty": notEmpty = true; break;
                case "status": running = value.Trim() == "0"; break;
                case "backuplabel": backupLabel = true; break;
                case "hashistory": history = []; break;
                case "history": history?.Add(value); break;
                case "control": control.Add(value); break;
                case "used": used = long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long u) ? u : null; break;
                case "diskpath": diskPath = value.Trim(); break;
                case "df":
                    string[] fields = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (fields.Length >= 4 && long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out long a))
                    {
                        available = a;
                    }
                    else
                    {
                        diskError = value.Trim();
                    }
                    break;
            }
        }
        PgControlData? controlData = null;
        if (control.Count > 0)
        {
            try
            {
                controlData = PgControlData.Parse(string.Join('\n', control));
            }
            catch (FormatException)
            {
                // Unreadable control data: treated as no cluster there, the other checks still apply.
            }
        }
        return new TargetSurvey(programs, major, exists, notEmpty, running, backupLabel, controlData, available, used, diskPath, diskError,
            history is null ? null : string.Join('\n', history));
    }
}
