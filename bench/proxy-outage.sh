#!/usr/bin/env bash
# Clients through HAProxy (issue 13's benchmark): the write outage a client sees through HAProxy running
# examples/haproxy/haproxy.cfg (checks on each monitor's GET /primary, every second) during a switchover and a
# kill -9 failover, beside the write gap of the servers themselves. PgHa.Bench proxy-outage: per round a fresh
# 3-node loopback cluster with PgHa monitors at their defaults (+ -HttpPort), HAProxy 2.6 in front,
# Invoke-PgHaSwitchover node1 -> node2, then kill -9 of node2's postmaster. Two writers every 50 ms: one through
# HAProxy's read-write port (a pool of connections, a new one after any failure, writes never waiting for each
# other) and one on every node through its Unix socket. Target: outage through HAProxy <= direct gap + 1 s.
# Prints the table; bench/results/proxy-outage.md keeps it, bench/results/proxy-outage-logs/round<N>/ the
# monitors', servers' and HAProxy's logs.
# Run as root on Debian 12. Arguments go to the benchmark (--rounds N, default 5). env: MAX_LOAD (default 4),
# MAX_WAIT (default 1200 s): how long to wait for a quieter machine before measuring anyway.
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
require_root proxy-outage.sh

bash tools/setup.sh || exit 1
ensure_packages haproxy || exit 1
# Built before waiting for a quiet machine: the build itself is load.
dotnet build -c Release bench/PgHa.Bench -nologo -v q || exit 1

echo "== before: $(uptime)"
wait_for_quiet_machine "${MAX_LOAD:-4}" "${MAX_WAIT:-1200}"
before=$(uptime)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "== measuring from: $before (commit $commit)"
# In the background so that SIGTERM reaches the benchmark, which stops its servers, monitors and HAProxy before exiting.
dotnet bench/PgHa.Bench/bin/Release/net10.0/PgHa.Bench.dll proxy-outage "$@" & bench=$!
trap 'kill -TERM $bench 2>/dev/null' INT TERM
wait $bench; rc=$?
# A trapped signal ends the first wait early; wait on until the benchmark has cleaned up and exited.
while kill -0 $bench 2>/dev/null; do wait $bench; rc=$?; done
after=$(uptime)
echo "== after: $after"
printf '\ncommit: %s\nuptime before: %s\nuptime after: %s\n' "$commit" "$before" "$after" >> bench/results/proxy-outage.md
exit $rc
