#!/usr/bin/env bash
# Failover (issue 5's benchmark): kill -9 of the primary's postmaster to the first write on the new primary,
# on a fresh 3-node loopback cluster per round, in one run (PgHa.Bench failover; rounds interleaved):
#  (a) PgHa monitors at their defaults (Start-PgHaMonitor, one PgHa.Run process per node);
#  (b) PgHa monitors and (c) repmgrd 5.3.3 (Debian postgresql-15-repmgr) at equal detection settings
#      (monitor 1 s, 4 x 1 s by default; see bench/README.md for why not the repmgr anchor's 2 x 1 s);
#  (d) a 1.5 s nftables cut of the primary's address under PgHa's defaults, watched 10 s: no failover allowed.
# A writer tries an INSERT on every node through its Unix socket every 50 ms. Per round: kill -> first write on
# another node, that write -> the remaining standby streaming from it (pg_stat_wal_receiver), the most nodes
# that took the same round's write. Prints the table and the targets; bench/results/failover.md keeps it and
# bench/results/failover-logs/<variant><round>/ the monitors', repmgrd's and servers' logs.
# Run as root on Debian 12. Arguments go to the benchmark (--rounds N, --variants abcd, --reconnect-attempts N,
# --reconnect-interval S, --monitor-interval S, --fence-timeout S). env: MAX_LOAD (default 4), MAX_WAIT (1200 s).
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
require_root failover.sh

bash tools/setup.sh || exit 1
ensure_packages postgresql-15-repmgr || exit 1
# Built before waiting for a quiet machine: the build itself is load.
dotnet build -c Release bench/PgHa.Bench -nologo -v q || exit 1

echo "== before: $(uptime)"
wait_for_quiet_machine "${MAX_LOAD:-4}" "${MAX_WAIT:-1200}"
before=$(uptime)
echo "== measuring from: $before"
# In the background so that SIGTERM reaches the benchmark, which stops its servers and monitors before exiting.
dotnet bench/PgHa.Bench/bin/Release/net10.0/PgHa.Bench.dll failover "$@" & bench=$!
trap 'kill -TERM $bench 2>/dev/null' INT TERM
wait $bench; rc=$?
# A trapped signal ends the first wait early; wait on until the benchmark has cleaned up and exited.
while kill -0 $bench 2>/dev/null; do wait $bench; rc=$?; done
after=$(uptime)
echo "== after: $after"
printf '\nuptime before: %s\nuptime after: %s\n' "$before" "$after" >> bench/results/failover.md
exit $rc
