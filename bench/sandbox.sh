#!/usr/bin/env bash
# Times New-PgHaSandbox -FirstAddress 127.0.12.1 (3 nodes, and 3 nodes + witness) and Remove-PgHaSandbox,
# 5 rounds each after one warm-up; prints a markdown table (median, min, max) and writes it to
# bench/results/sandbox.md. Run as root on a Debian 12 machine: the sandbox's servers run as the
# postgres OS user. Every sandbox is removed again, also on failure or Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "sandbox.sh: run as root" >&2
    exit 1
fi

bash tools/setup.sh
# exec: Ctrl+C and SIGTERM reach dotnet run and the benchmark, which removes the sandbox before it exits.
exec dotnet run -c Release --project bench/PgHa.Bench -- sandbox "$@"
