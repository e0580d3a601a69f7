#!/usr/bin/env bash
# Times New-PgHaStandby against bare pg_basebackup from the same primary, per database size: pgbench -i -s 20
# (about 300 MB) and -s 200 (about 3 GB, where the copy dominates), alternating, 5 rounds each after one
# warm-up of each; prints a markdown table with the fixed cost (the call minus its own pg_basebackup; the checks
# before it), the ratios of medians and the cmdlet's phases, and writes it to bench/results/clone.md.
# Run as root on a Debian 12 machine: the server and both copies run as the postgres OS user. Arguments go to the
# benchmark (--rounds N, --scales 20,200). The -s 200 database needs about 12 GB free in /tmp/pgha-tests (the
# source and one copy at a time): checked here with df, and again by the benchmark, which skips a scale that does not fit.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "clone.sh: run as root" >&2
    exit 1
fi

bash tools/setup.sh >/dev/null
mkdir -p /tmp/pgha-tests
echo "== free disk for the copies: $(df -h --output=avail,target /tmp/pgha-tests | tail -1)"
avail_gb=$(( $(df --output=avail -k /tmp/pgha-tests | tail -1) / 1024 / 1024 ))
[ "$avail_gb" -ge 12 ] || echo "clone.sh: only $avail_gb GB free: the ~3 GB database (pgbench -s 200) is not possible here and will be skipped"
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
# exec: Ctrl+C and SIGTERM reach dotnet run and the benchmark, which stops the server before it exits.
exec dotnet run -c Release --project bench/PgHa.Bench -- clone "$@"
