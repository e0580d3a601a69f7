# Shared by the bench/*.sh entry scripts: source it after cd-ing to the repository root.

# require_root NAME: the servers run as the postgres OS user, nftables needs root.
require_root() {
    if [ "$(id -u)" -ne 0 ]; then echo "$1: run as root" >&2; exit 1; fi
}

# ensure_packages PACKAGE...: installs only what is missing (e.g. postgresql-15-repmgr for the comparisons).
ensure_packages() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y "$p" >/dev/null || return 1
    done
}

# wait_for_quiet_machine MAX_LOAD MAX_SECONDS: the machine is shared; timings taken while other work keeps
# both cores busy say more about that work than about what is measured. Polls the 1-minute load average
# every 30 s until it is at most MAX_LOAD, for at most MAX_SECONDS, then goes on either way (and says so).
wait_for_quiet_machine() {
    local max=$1 limit=$2 waited=0 load
    while :; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        if awk -v l="$load" -v m="$max" 'BEGIN { exit !(l <= m) }'; then
            echo "load average $load <= $max after ${waited} s of waiting"; return 0
        fi
        if [ "$waited" -ge "$limit" ]; then
            echo "load average still $load (> $max) after ${waited} s: measuring anyway"; return 1
        fi
        echo "load average $load > $max: waiting 30 s (${waited} s so far, at most ${limit} s)"
        sleep 30; waited=$((waited + 30))
    done
}
