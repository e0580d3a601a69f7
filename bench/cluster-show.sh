#!/usr/bin/env bash
# Times Get-PgHaCluster and Test-PgHaCluster on a 3-node and a 9-node cluster (all up, one standby stopped, one black-holed)
# and a psql baseline; prints a markdown table and writes it to bench/results/cluster-show.md.
# Run as root on a Debian 12 machine: servers run as the postgres OS user, the black hole is an
# nftables table (inet pgha_bench) that the benchmark deletes again, also on Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "cluster-show.sh: run as root" >&2
    exit 1
fi

bash tools/setup.sh
# exec: Ctrl+C and SIGTERM reach dotnet run and the benchmark, which cleans up before it exits.
exec dotnet run -c Release --project bench/PgHa.Bench -- cluster-show "$@"
