#!/usr/bin/env bash
# Times New-PgHaStandby against bare pg_basebackup from the same ~300 MB primary (pgbench -i -s 20),
# alternating, 5 rounds each after one warm-up of each; prints a markdown table with the ratio of
# medians and the cmdlet's phases, and writes it to bench/results/clone.md.
# Run as root on a Debian 12 machine: the server and both copies run as the postgres OS user.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "clone.sh: run as root" >&2
    exit 1
fi

bash tools/setup.sh
# exec: Ctrl+C and SIGTERM reach dotnet run and the benchmark, which stops the server before it exits.
exec dotnet run -c Release --project bench/PgHa.Bench -- clone "$@"
