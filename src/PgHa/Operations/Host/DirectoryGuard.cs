using PgHa.Core;
using PgHa.Transport;

namespace PgHa.Operations.Host;

/// <summary>
/// The one guard in front of every deletion and overwrite PgHa makes (clone, rejoin and pg_rewind, sandbox
/// removal). On the target host itself (local or over SSH, through the node transport), one fixed sh script
/// resolves the path with realpath (symlinks and ".." followed), lists every running postmaster (from
/// /proc: its working directory, which PostgreSQL sets to the data directory, or else -D on its command
/// line; and any postmaster.pid on the path's ancestors naming a live postgres process) with the
/// tablespaces its pg_tblspc links point to and its pg_wal when that is a link, and does the same for the
/// current primary's registered data directory when the primary lives on that host. A working directory
/// counts only when it holds PG_VERSION: a postmaster that has just been started has not moved there yet,
/// and then its -D, else the PGDATA of its environment, says where it goes.
/// <see cref="DirectoryGuardRules"/> then decides. The script runs as the PostgreSQL OS user (over SSH there is
/// no other), the user whose view of the directory decides what it may delete. A server of another OS user is
/// found by its command line (an absolute -D) and its tablespaces only when that user may read them; one it
/// cannot place, or whose data directory it cannot read, makes the check fail (PgHaDirectoryCheckFailed)
/// rather than pass. Scanning as root where PgHa runs as root would see more, but only locally, and the rule
/// must mean the same on every host.
/// </summary>
internal static class DirectoryGuard
{
    /// <summary>Written by New-PgHaStandby into a target before copying, removed when the clone is complete.</summary>
    public const string CloneIncompleteMarker = "pgha.clone-incomplete";

    private static readonly TimeSpan ScanTimeout = TimeSpan.FromSeconds(60);

    // $1: the directory; $2: the incomplete-clone marker's name; $3...: the primary's data directories on this host.
    // Backends are skipped by their parent (a postmaster): their working directory is the same, and skipping
    // them with shell builtins alone keeps the scan cheap on a host with many servers.
    private const string Script = """
        t=$(realpath -m -- "$1") || exit 2
        marker=$2
        shift 2
        describe() {
          r=$(realpath -m -- "$1" 2>/dev/null) || r=$1
          echo "$3 $2 $r"
          if [ -L "$r/pg_wal" ]; then echo "wal $2 $(realpath -m -- "$r/pg_wal" 2>/dev/null)"; fi
          if [ -d "$r/pg_tblspc" ] && [ -r "$r/pg_tblspc" ] && [ -x "$r/pg_tblspc" ]; then
            for l in "$r"/pg_tblspc/*; do
              if [ -L "$l" ]; then echo "tablespace $2 $(realpath -m -- "$l" 2>/dev/null)"; fi
            done
          elif [ -e "$r/pg_tblspc" ] || { [ -e "$r" ] && [ ! -x "$r" ]; }; then
            echo "unreadable $2 $r"
          fi
        }
        alive() {
          { read -r s < "$1/stat"; } 2>/dev/null || return 1
          set -f; set -- $s; set +f
          case "$3" in Z|X) return 1 ;; esac
        }
        postmasters() {
          for p in /proc/[0-9]*; do
            { read -r c < "$p/comm"; } 2>/dev/null || continue
            case "$c" in postgres|postmaster) ;; *) continue ;; esac
            { read -r st < "$p/stat"; } 2>/dev/null || continue
            set -f; set -- $st; set +f
            case "$3" in Z) continue ;; esac
            pc=
            { read -r pc < "/proc/$4/comm"; } 2>/dev/null
            case "$pc" in postgres|postmaster) continue ;; esac
            pid=${p#/proc/}
            w=$(readlink -- "$p/cwd" 2>/dev/null)
            case "$w" in *" (deleted)") echo "deleted $pid ${w% (deleted)}"; continue ;; esac
            if [ -n "$w" ] && [ -e "$w/PG_VERSION" ]; then describe "$w" "$pid" server; continue; fi
            # Not (yet) in its data directory: a postmaster that has just started, or one whose working
            # directory this user cannot see. Its -D, relative to where it was started, says where it goes;
            # without one, the PGDATA it was started with (pg_ctl without -D, initdb's bootstrap backends).
            a=$(tr '\0' '\n' < "$p/cmdline" 2>/dev/null)
            # postgres -V and -C (pg_ctl and initdb run them) only print and exit: they are no server.
            if printf '%s\n' "$a" | grep -q -x -e '-V' -e '--version' -e '-C' -e '--describe-config'; then continue; fi
            d=$(printf '%s\n' "$a" | sed -n -e '/^-D$/{n;p;q;}' -e 's/^-D\(..*\)$/\1/p' -e 's/^--data-directory=\(..*\)$/\1/p' | head -n 1)
            if [ -z "$d" ] && [ -n "$w" ]; then
              d=$(tr '\0' '\n' < "$p/environ" 2>/dev/null | sed -n 's/^PGDATA=\(..*\)$/\1/p' | head -n 1)
            fi
            case "$d" in
              /*) ;;
              ?*) if [ -n "$w" ]; then d=$w/$d; else d=; fi ;;
            esac
            # Seen from outside (another user's), -D counts when it names a data directory (PG_VERSION), or one
            # this user cannot enter (describe says so); else it is a configuration folder (Debian's -D
            # /etc/postgresql/...) and the data directory is elsewhere. Only another user's process can hide
            # its directory: one of this user's that shows none is exiting (its working directory and command
            # line are gone first) or only printing, and one gone or dead since it was listed owns nothing.
            if [ -n "$d" ] && { [ -n "$w" ] || [ -e "$d/PG_VERSION" ] || [ ! -x "$d" ]; }; then
              describe "$d" "$pid" server
            elif [ ! -O "$p" ] && alive "$p"; then
              echo "hidden $pid -"
            fi
          done
        }
        echo "target 0 $t"
        if [ -e "$t" ] || [ -L "$t" ]; then
          echo "exists 0 -"
          if [ -d "$t" ]; then
            echo "isdir 0 -"
            if [ -r "$t" ] && [ -x "$t" ]; then
              if [ -e "$t/PG_VERSION" ]; then echo "pgversion 0 -"; fi
              if [ -e "$t/$marker" ]; then echo "marker 0 -"; fi
              find "$t" -mindepth 1 -maxdepth 1 2>/dev/null | head -n 6 | sed 's/^/entry 0 /'
            else
              echo "noaccess 0 -"
            fi
          fi
        fi
        for x in "$@"; do describe "$x" 0 primary; done
        a=$t
        while :; do
          if [ -f "$a/postmaster.pid" ] && { read -r pp < "$a/postmaster.pid"; } 2>/dev/null; then
            case "$pp" in ''|*[!0-9]*) pp= ;; esac
            pc=
            if [ -n "$pp" ]; then { read -r pc < "/proc/$pp/comm"; } 2>/dev/null; fi
            case "$pc" in postgres|postmaster) describe "$a" "$pp" server ;; esac
          fi
          [ "$a" = / ] && break
          a=${a%/*}
          [ -z "$a" ] && a=/
        done
        postmasters
        exit 0
        """;

    /// <summary>Runs the scan on <paramref name="host"/>; a path that cannot be checked is a <see cref="PgHaException"/>, never "safe".</summary>
    public static async Task<DirectoryScan> ScanAsync(INodeTransport host, string path, IEnumerable<string> primaryDirectories, CancellationToken ct)
    {
        if (RefusePath(path) is { } invalid)
        {
            throw new PgHaException(invalid.ErrorId, path, invalid.Message);
        }
        string[] arguments = ["-c", Script, "pgha-guard", path, CloneIncompleteMarker, .. primaryDirectories.Where(d => RefusePath(d) is null)];
        CommandResult result;
        try
        {
            result = await host.RunAsync("sh", arguments, new CommandOptions { Timeout = ScanTimeout }, ct).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw Failed(path, host, ex.Message, ex);
        }
        if (!result.Succeeded)
        {
            throw Failed(path, host, $"the check exited with {result.ExitCode}: {result.StandardError.Trim()}", null);
        }
        try
        {
            return DirectoryScan.Parse(result.StandardOutput);
        }
        catch (FormatException ex)
        {
            throw Failed(path, host, ex.Message, ex);
        }
    }

    /// <summary>The scan and, when the rule forbids deleting or writing the directory, why.</summary>
    /// <param name="nonEmptyNeeds">The switch that allows replacing a non-empty directory that is not a data directory; null where any contents may go.</param>
    public static async Task<(DirectoryScan Scan, DirectoryRefusal? Refusal)> CheckAsync(
        OperationContext context, INodeTransport host, string path, IReadOnlyList<string> primaryDirectories, string? nonEmptyNeeds)
    {
        context.Reporter.Verbose($"Checking on {host.Description} that '{path}' belongs to no running server and not to the primary.");
        DirectoryScan scan = await ScanAsync(host, path, primaryDirectories, context.CancellationToken).ConfigureAwait(false);
        return (scan, DirectoryGuardRules.Check(scan, path, host.Description, nonEmptyNeeds));
    }

    /// <summary>Like <see cref="CheckAsync"/>, but a refusal is thrown (target: the path); returns the scan when the directory may be deleted or written.</summary>
    public static async Task<DirectoryScan> EnsureSafeAsync(
        OperationContext context, INodeTransport host, string path, IReadOnlyList<string> primaryDirectories, string? nonEmptyNeeds)
    {
        var (scan, refusal) = await CheckAsync(context, host, path, primaryDirectories, nonEmptyNeeds).ConfigureAwait(false);
        if (refusal is not null)
        {
            throw new PgHaException(refusal.ErrorId, path, refusal.Message);
        }
        return scan;
    }

    /// <summary>An absolute path the script can take as one argument and print on one line, or why not.</summary>
    public static DirectoryRefusal? RefusePath(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || !path.StartsWith('/') || path.Contains('\n', StringComparison.Ordinal) || path.Contains('\r', StringComparison.Ordinal) || path.Contains('\0', StringComparison.Ordinal))
        {
            return new DirectoryRefusal(PgHaErrorIds.DirectoryPathInvalid,
                $"{MessageText.Quote(path)} is not an absolute path on one line; PgHa deletes and writes only directories given by an absolute path. Give the full path, starting with '/'.");
        }
        // Linux's limits (PATH_MAX 4096 with its NUL, NAME_MAX 255 per name, in bytes): a longer path names nothing.
        if (System.Text.Encoding.UTF8.GetByteCount(path) > 4095 || path.Split('/').Any(name => System.Text.Encoding.UTF8.GetByteCount(name) > 255))
        {
            return new DirectoryRefusal(PgHaErrorIds.DirectoryPathInvalid,
                $"{MessageText.Quote(path)} is longer than Linux allows (4095 bytes in all, 255 per name). Give a shorter path.");
        }
        return null;
    }

    private static PgHaException Failed(string path, INodeTransport host, string why, Exception? inner) =>
        new(PgHaErrorIds.DirectoryCheckFailed, path,
            $"Could not check on {host.Description} whether '{path}' belongs to a running server or to the primary ({why}); nothing was deleted. The host needs a POSIX sh, GNU realpath and /proc; fix that and try again.", inner);
}
