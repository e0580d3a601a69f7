#!/usr/bin/env bash
# Switchover, PgHa against repmgr 5.3.3 measured the same way in one run (issue 15):
#  - repmgr: the reference anchor's setup.sh (a copy of ANCHOR, default /work/shared/reference/repmgr-anchor):
#    node N on 127.0.0.1N:5432, sshd on 127.0.0.1N:2222, initdb defaults (fsync on), replication slots,
#    repmgrd running on every node at repmgr's defaults.
#  - PgHa: the same layout on 127.0.13.N:5432 with its own sshd on 127.0.13.N:2222 (the anchor's sshd
#    settings), the anchor's postgresql.conf and pg_hba.conf, the primary made with initdb and registered with
#    Register-PgHaNode -SshHost, the standbys cloned with New-PgHaStandby -SshHost -UseReplicationSlot -Start
#    -Register; every node's monitor started as examples/systemd/pgha-monitor@.service starts it (pwsh as the
#    postgres user, nice -5, Start-PgHaMonitor -Config <node>.psd1 -LogFile -StateFile -ManageServer).
# Then bench/switchover.ps1, in the pinned pwsh, runs the rounds (interleaved: repmgr as a process, PgHa as a
# `pwsh -NoProfile -c` process with pwsh as installed (ReadyToRun, bench/pwsh-readytorun.sh) and with the .NET tool
# (`dotnet pwsh`), PgHa as a call in that open session; the order reversed every other round), with one write
# probe per cluster (bench/switchover_probe.py, 50 ms) and the load per switchover, and
# writes bench/results/switchover.md. Everything both sides started is stopped from an EXIT trap, also on
# failure or Ctrl+C.
# Run as root on Debian 12. Arguments go to bench/switchover.ps1 (-Rounds N, default 5; -Settle S;
# -NoMonitorRounds N, default 3: after the rounds, N pairs of in-session PgHa switchovers, its monitors stopped, then
# started again).
# env: ANCHOR, MAX_LOAD (default 4) and MAX_WAIT (default 600 s): how long to wait for a quieter machine;
# PGHA_ONLY=1: PgHa's side alone (no repmgr cluster, no repmgr rounds), to look into PgHa's own time; no ratio.
# PGHA_BENCH_HOLD=<file>: once the clusters and monitors run, wait until the file is removed (to look by hand).
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
require_root switchover.sh
ANCHOR=${ANCHOR:-/work/shared/reference/repmgr-anchor}
RES=bench/results; mkdir -p "$RES"
ROOT=$(pwd)
ABASE=/tmp/repmgr-anchor                # the anchor's own BASE (its common.sh)
PBASE=/tmp/pgha-bench-switchover        # PgHa's side
PGBIN=/usr/lib/postgresql/15/bin
bash tools/setup.sh >/dev/null || exit 1
# pwsh as Microsoft's Linux packages install it (ReadyToRun; see bench/pwsh-readytorun.sh): the monitors' and the
# timed process's. The .NET tool (`dotnet pwsh`, JIT-compiled) is timed beside it.
PWSH_INSTALLED=$(bash bench/pwsh-readytorun.sh) || exit 1
ensure_packages postgresql-15-repmgr python3-psycopg2 || exit 1
dotnet build PgHa.sln -c Release -nologo -v q || exit 1

# The anchor scripts are run from a copy: their logs go to $RES/repmgr-anchor/results, not into the shared reference.
rm -rf "$RES/repmgr-anchor"; cp -r "$ANCHOR" "$RES/repmgr-anchor"; rm -rf "$RES/repmgr-anchor/results"
ANCHOR_COPY=$ROOT/$RES/repmgr-anchor

pgha_teardown() {
    echo "== PgHa side teardown"
    local f p d i n
    for f in "$PBASE"/probe-*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    # Monitors first: with -ManageServer a monitor would start a server stopped under it.
    for f in "$PBASE"/run/monitor-*.pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null; done
    for f in "$PBASE"/run/monitor-*.pid; do
        [ -f "$f" ] || continue; p=$(cat "$f")
        for i in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    for d in "$PBASE"/node*/data; do
        [ -f "$d/postmaster.pid" ] || continue
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m fast -w -t 30 stop >/dev/null 2>&1 || {
            p=$(head -1 "$d/postmaster.pid" 2>/dev/null); [ -n "$p" ] && kill -9 "$p" 2>/dev/null; }
    done
    [ -f "$PBASE/ssh/sshd.pid" ] && kill "$(cat "$PBASE/ssh/sshd.pid")" 2>/dev/null
    # The monitors' and servers' logs are kept with the results (the anchor keeps repmgr's under its BASE until the next run).
    if [ -d "$PBASE/log" ]; then
        mkdir -p "$RES/switchover-logs/pgha"
        cp "$PBASE"/log/* "$RES/switchover-logs/pgha/" 2>/dev/null
        for n in 1 2 3; do
            cp "$PBASE/node$n/postgres.log" "$RES/switchover-logs/pgha/postgresql-node$n-initdb-start.log" 2>/dev/null
            cp "$PBASE/node$n/data.log" "$RES/switchover-logs/pgha/postgresql-node$n.log" 2>/dev/null
        done
    fi
    rm -rf "$PBASE"
}
cleanup() {
    pgha_teardown
    echo "== repmgr side teardown"
    "$ANCHOR_COPY/teardown.sh" || true
    if [ -d "$ABASE" ]; then
        mkdir -p "$RES/switchover-logs/repmgr"
        for n in 1 2 3; do
            cp "$ABASE/node$n/repmgr.log" "$RES/switchover-logs/repmgr/repmgr-node$n.log" 2>/dev/null
            cp "$ABASE/node$n/postgres.log" "$RES/switchover-logs/repmgr/postgresql-node$n.log" 2>/dev/null
        done
    fi
    "$ANCHOR_COPY/teardown.sh" --purge >/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PgHa side: the anchor's layout, settings and sshd, on 127.0.13.1-3 ---
pgha_setup() {
    local n a
    pgha_teardown >/dev/null 2>&1
    mkdir -p "$PBASE"/{ssh,run,log,state,home/.ssh,home/.pgha}
    for n in 1 2 3; do
        mkdir -p "$PBASE/node$n/sock"
        # This node's address and socket, included by postgresql.conf (New-PgHaSandbox's way): clones copy
        # postgresql.conf, so it must not name one node (the anchor passes them with pg_ctl -o instead).
        printf "listen_addresses = '127.0.13.%s'\nport = 5432\nunix_socket_directories = '%s'\n" "$n" "$PBASE/node$n/sock" > "$PBASE/node$n/node.conf"
    done
    # The monitors' pwsh and the timed process's: the pinned pwsh as installed (ReadyToRun), where the postgres user
    # can read it (/usr/bin/pwsh in production).
    cp -r "$PWSH_INSTALLED" "$PBASE/pwsh"
    chown -R postgres:postgres "$PBASE"; chown root:root "$PBASE/ssh" "$PBASE/pwsh"; chmod 755 "$PBASE" "$PBASE/ssh"; chmod -R a+rX "$PBASE/pwsh"
    chmod 700 "$PBASE/home"

    ssh-keygen -q -t ed25519 -N '' -f "$PBASE/ssh/ssh_host_ed25519_key"
    runuser -u postgres -- ssh-keygen -q -t ed25519 -N '' -f "$PBASE/home/.ssh/id_ed25519" -C pgha-bench
    cp "$PBASE/home/.ssh/id_ed25519.pub" "$PBASE/ssh/authorized_keys"; chmod 644 "$PBASE/ssh/authorized_keys"
    cat > "$PBASE/ssh/sshd_config" <<EOC
ListenAddress 127.0.13.1:2222
ListenAddress 127.0.13.2:2222
ListenAddress 127.0.13.3:2222
HostKey $PBASE/ssh/ssh_host_ed25519_key
PidFile $PBASE/ssh/sshd.pid
AuthorizedKeysFile $PBASE/ssh/authorized_keys
StrictModes no
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers postgres
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
EOC
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$PBASE/ssh/sshd_config" -E "$PBASE/ssh/sshd.log" || return 1
    # known_hosts with the host key (PgHa checks host keys; the anchor's repmgr.conf turns the check off).
    for a in 127.0.13.1 127.0.13.2 127.0.13.3; do
        echo "[$a]:2222 $(cut -d' ' -f1-2 "$PBASE/ssh/ssh_host_ed25519_key.pub")"
    done > "$PBASE/home/.ssh/known_hosts"
    chown postgres:postgres "$PBASE/home/.ssh/known_hosts"
    # The cluster secret at the monitors' default place (~/.pgha/cluster-secret of their user), mode 0600.
    (umask 077; openssl rand -base64 48 > "$PBASE/home/.pgha/cluster-secret"); chown postgres:postgres "$PBASE/home/.pgha/cluster-secret"

    # The primary: initdb defaults (fsync on) plus the anchor's settings, without repmgr's preload library.
    runuser -u postgres -- "$PGBIN/initdb" -D "$PBASE/node1/data" -A trust -U postgres >/dev/null || return 1
    cat >> "$PBASE/node1/data/postgresql.conf" <<EOC
# --- as the repmgr anchor's setup.sh (its shared_preload_libraries = 'repmgr' aside) ---
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
wal_log_hints = on
wal_keep_size = 256MB
log_line_prefix = '%m [%p] '
include_if_exists = '../node.conf'
EOC
    cat > "$PBASE/node1/data/pg_hba.conf" <<EOC
local   all          all                 trust
local   replication  all                 trust
host    all          all   127.0.0.0/8   trust
host    replication  all   127.0.0.0/8   trust
EOC
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PBASE/node1/data" -l "$PBASE/node1/postgres.log" -w -t 60 start >/dev/null
}

echo "== before: $(uptime)"
echo "== PgHa side: sshd, initdb and start node1 ($PBASE)"
pgha_setup || { echo "PgHa side setup failed"; exit 1; }

only=()
if [ "${PGHA_ONLY:-0}" = 1 ]; then
    only=(-PgHaOnly)
    echo "== repmgr side: left out (PGHA_ONLY=1)"
else
echo "== repmgr side: the anchor's setup.sh ($ABASE)"
# setup.sh clones without --fast-checkpoint, so each clone waits for a spread checkpoint (160-270 s here). A
# CHECKPOINT on node1 every second while it runs finishes the spread one at once; it stops before measuring.
"$ANCHOR_COPY/setup.sh" > "$RES/switchover-repmgr-setup.log" 2>&1 & setup_pid=$!
while kill -0 $setup_pid 2>/dev/null; do
    runuser -u postgres -- "$PGBIN/psql" "host=127.0.0.11 port=5432 user=postgres dbname=postgres connect_timeout=1" -XAtqc CHECKPOINT >/dev/null 2>&1
    sleep 1
done
wait $setup_pid || { tail -20 "$RES/switchover-repmgr-setup.log"; echo "repmgr setup failed"; exit 1; }
fi

wait_for_quiet_machine "${MAX_LOAD:-4}" "${MAX_WAIT:-600}"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dotnet pwsh -NoProfile -NonInteractive -File bench/switchover.ps1 -PgHaBase "$PBASE" -RepmgrBase "$ABASE" -Commit "$commit" "${only[@]}" "$@"
