using System.Diagnostics;
using System.Globalization;

namespace PgHa.Operations.Monitor;

/// <summary>
/// The primary's lease enforced by a process that outlives its monitor. The monitor fences its primary when
/// the lease ends, but only while it runs: a monitor killed (OOM, kill -9, a crash) and restarted by its
/// service manager took 8-26 s under load to run again, and a standby cut off from the primary was elected
/// meanwhile: two writable nodes (fault suite, PrimaryMonitorRestartedDuringPartition, both backends). Patroni
/// answers this with the Linux watchdog (a reset of the whole machine); PgHa starts a small guard beside each
/// local primary instead: a bash loop, detached (setsid -f: not the monitor's child, so no kill of the
/// monitor's process tree reaches it), that reads the <see cref="LeaseRecord"/> ten times a second and, when
/// the expiry written there has passed, fences the server as the monitor would: standby.signal, fsynced with
/// its directory, then SIGQUIT to the postmaster (immediate shutdown).
/// <para>
/// The record is what the guard obeys, so the monitor stays the only one that decides: the record is never
/// later than the lease in memory (the guard fences at most <see cref="LeaseRecord"/>'s write step before the
/// monitor would, and only once renewals stopped for seconds); it says "paused" while the monitor is paused
/// (no fencing then, as the monitor's own timer); a normal stop either deletes it or marks it stopped, and the
/// guard ends (stopping a monitor is the operator's choice, as it always was). The guard ends too when the
/// postmaster it was started for is gone or another one owns the data directory, when the record is of another
/// boot, and after it fenced. One guard per record: it holds an flock on <c>&lt;record&gt;.guard.lock</c> and
/// writes its pid to <c>&lt;record&gt;.guard</c> (not the locked file: .NET takes a shared flock to read a file,
/// which an exclusive one refuses), so a restarted monitor finds the running one instead of starting a second.
/// </para>
/// <para>
/// The clock: the record carries the expiry on the clock /proc/uptime shows (which bash reads without starting a
/// program), converted by the monitor when it writes it: CLOCK_BOOTTIME (<see cref="Core.MonotonicClock"/>) is
/// that clock on a host, but lxcfs shows a container its own uptime. Only for nodes on this machine (a monitor
/// that reaches its node over SSH has no guard).
/// </para>
/// </summary>
internal sealed class LeaseGuard
{
    /// <summary>The guard's name in ps (its $0).</summary>
    public const string ProcessName = "pgha-lease-guard";

    private const long CheckEveryMs = 1000;

    // Arguments, never spliced into the text: $1 the lease record, $2 the data directory, $3 the postmaster's pid,
    // $4 the pid of the monitor that started it. Everything in the loop is a bash builtin (read -t on a pipe nobody
    // writes is its sleep): on a host too busy to start programs quickly it still runs every tenth of a second.
    // Only the fence starts programs. While that monitor process still lives (same pid, same start time, not a
    // zombie) the guard leaves it half a second from when the guard saw the lease ended to fence by itself (so
    // with the monitor alive but stuck, the guard fences half a second after the lease's end; with the monitor gone,
    // at once). After a freeze both wake at once, and both fenced at every thaw of the fault suite: one fence, the
    // monitor's, is enough there (measured: the thawed primary's writes lasted as long either way, 0.07-0.21 s).
    internal const string Script = """
        exec </dev/null >/dev/null 2>&1
        record=$1 pgdata=$2 pm=$3 monitor=$4
        started_as() { local stat f; started=; read -r stat < "/proc/$1/stat" || return 1; f=(${stat##*\) }); [[ ${f[0]} != Z ]] && started=${f[19]}; }
        started_as "$monitor"; monitor_start=$started
        exec 9>>"$record.guard.lock" || exit 1
        flock -n 9 || exit 0
        printf '%d\n' "$$" > "$record.guard"
        exec 8<> <(:)
        read -r boot < /proc/sys/kernel/random/boot_id
        while :; do
            owner=
            read -r owner < "$pgdata/postmaster.pid"
            [[ $owner == "$pm" ]] && kill -0 "$pm" || exit 0
            json=
            [[ -e $record ]] || exit 0
            IFS= read -r -d '' json < "$record"
            [[ $json == *"\"bootId\":\"$boot\""* ]] || exit 0
            [[ $json =~ \"stoppedAtMs\":[0-9] ]] && exit 0
            if [[ ! $json =~ \"paused\":true && $json =~ \"uptimeExpiresAtMs\":(-?[0-9]+) ]]; then
                expires=${BASH_REMATCH[1]}
                read -r up _ < /proc/uptime
                now=$(( 10#${up%.*} * 1000 + 10#${up#*.} * 10 ))
                (( now >= expires )) && noticed=${noticed:-$now}
                (( now < expires )) && noticed=
                if [[ -n $noticed ]] && { (( now >= noticed + 500 )) || [[ -z $monitor_start ]] || { started_as "$monitor"; [[ $started != "$monitor_start" ]]; }; }; then
                    umask 077
                    signal=$pgdata/standby.signal
                    : >> "$signal"
                    (( EUID == 0 )) && chown --reference="$pgdata" "$signal"
                    sync "$signal" "$pgdata"
                    kill -QUIT "$pm"
                    # A monitor that died in the middle of its own fence may have left the server stopped in place
                    # (SIGSTOP): its children get SIGQUIT too before anything runs again, so none runs its own code.
                    kids=()
                    read -r -a kids < "/proc/$pm/task/$pm/children"
                    (( ${#kids[@]} )) && kill -QUIT "${kids[@]}"
                    kill -CONT "$pm" "${kids[@]}"
                    printf 'The lease guard fenced the server (postmaster %s, standby.signal and an immediate stop) %s ms after its lease ended (uptime %s ms): no monitor renewed it, or the one running did not fence it.\n' "$pm" "$(( now - expires ))" "$now" >> "$record.guard.log"
                    exit 0
                fi
            fi
            read -t 0.1 -u 8 _
        done
        """;

    private readonly string _recordPath;
    private long _nextCheckMs = long.MinValue / 2;
    private long? _startedAtMs; // when this object last started a guard that has not been seen running yet
    private bool _warnedNotStarted;
    private int _starting;

    public LeaseGuard(string recordPath) => _recordPath = recordPath;

    /// <summary>Where the guard writes what it did when it fenced (read and removed by the monitor).</summary>
    public string ReportPath => _recordPath + ".guard.log";

    private string PidPath => _recordPath + ".guard";

    /// <summary>True at most once a second: the monitor's lease timer asks every tick, and looks after the guard when due.</summary>
    public bool Due(long nowMs)
    {
        if (!OperatingSystem.IsLinux() || nowMs < _nextCheckMs)
        {
            return false;
        }
        _nextCheckMs = nowMs + CheckEveryMs;
        return true;
    }

    /// <summary>
    /// Starts a guard for the local primary whose postmaster is <paramref name="postmasterPid"/>, unless one runs.
    /// The start runs off the caller's thread (the lease timer must not wait for a fork on a busy host). Warns once
    /// when a guard it started is not running a check later (bash, setsid or flock missing). Never throws:
    /// without a guard the monitor's own timer still fences while it runs.
    /// </summary>
    public void Ensure(string dataDirectory, int postmasterPid, long nowMs, Action<string> warn)
    {
        if (RunningPid() is not null)
        {
            _startedAtMs = null;
            _warnedNotStarted = false;
            return;
        }
        if (_startedAtMs is { } started && nowMs - started >= CheckEveryMs && !_warnedNotStarted)
        {
            _warnedNotStarted = true;
            warn($"The lease guard ({ProcessName}) did not stay running beside the server (it needs bash, setsid and flock, and write access beside {_recordPath}): " +
                 "if this monitor dies, nothing fences the primary at the end of its lease. Trying again every second.");
        }
        if (Interlocked.Exchange(ref _starting, 1) == 1)
        {
            return;
        }
        _startedAtMs = nowMs;
        string[] arguments = ["--fork", "bash", "-c", Script, ProcessName, _recordPath, dataDirectory.TrimEnd('/'),
            postmasterPid.ToString(CultureInfo.InvariantCulture), Environment.ProcessId.ToString(CultureInfo.InvariantCulture)];
        _ = Task.Run(() =>
        {
            try
            {
                Start(arguments);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
            {
                warn($"The lease guard could not be started ({ex.Message}): if this monitor dies, nothing fences the primary at the end of its lease.");
            }
            finally
            {
                Volatile.Write(ref _starting, 0);
            }
        });
    }

    private static void Start(string[] arguments)
    {
        var start = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            // Not the monitor's console: a guard that kept it open would keep a reader of the monitor's output waiting.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process setsid = Process.Start(start) ?? throw new InvalidOperationException("setsid did not start");
        setsid.WaitForExit(); // setsid --fork returns at once; its child is the guard
    }

    /// <summary>The pid of a guard that runs for this record, or null.</summary>
    internal int? RunningPid()
    {
        try
        {
            if (!int.TryParse(File.ReadAllText(PidPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                return null;
            }
            string[] argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return argv.Contains(ProcessName) && argv.Contains(_recordPath) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>What a guard reported when it fenced the server, removed once read; null when it did not.</summary>
    public string? TakeReport()
    {
        try
        {
            if (!File.Exists(ReportPath))
            {
                return null;
            }
            string report = File.ReadAllText(ReportPath).Trim();
            File.Delete(ReportPath);
            return report.Length == 0 ? null : report;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
