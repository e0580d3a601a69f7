#!/usr/bin/env bash
# Failover as users run it (issues 5 and 15): the primary of a fresh 3-node loopback cluster fails, and the time
# to the first write on the new primary is measured (PgHa.Bench failover; rounds interleaved), for
#  (a)/(b) PgHa's monitors started as examples/systemd/pgha-monitor@.service starts them (pwsh as postgres, nice -5,
#          -Config <node>.psd1 -LogFile -StateFile -ManageServer; no -LocalConninfo, no timing parameter),
#  (c)/(d) repmgrd 5.3.3 (Debian postgresql-15-repmgr) at the same detection settings (PgHa's defaults: monitor 1 s,
#          7 x 1 s),
# under two faults: (a)/(c) kill -9 of the primary's postmaster, (b)/(d) the whole node lost (its agent and every
# server process killed at once). Optional (e): a 1.5 s nftables cut of the primary's address under PgHa, watched
# 10 s: no failover allowed. With etcd deciding (issues 10 and 15), each with a 3-member etcd 3.4 on loopback of its own:
#  (f)/(g) PgHa's monitors as in (a)/(b), etcd recorded with Set-PgHaConsensus -Backend Etcd while they are paused,
#  (h)/(i) the same with EtcdKeepAliveInterval = 1 in each node's .psd1 (the leader key kept alive once a second, as
#          Patroni does once per loop at loop_wait 1; the shipped default is every 0.25 s),
#  (j)/(k) the same every 1.5 s: the longest etcd stall the primary rides out (fence timeout - interval) is then 2 s,
#          Patroni's retry_timeout in (r)/(s),
#  (p)/(q) Patroni 3.0.2 (Debian patroni) at its defaults (ttl 30, loop_wait 10, retry_timeout 10, primary_start_timeout
#          300: a crashed primary is restarted in place, so in (p) a write on any node counts),
#  (r)/(s) Patroni at PgHa's settings where it has them (ttl 4, loop_wait 1, retry_timeout 2, primary_start_timeout 0).
# Every node runs the test fixtures' settings with fsync on. A writer tries an INSERT on
# every node through its Unix socket every 50 ms. Per round: fault -> first write on another node, that write -> the
# remaining standby streaming from it, the most nodes that took the same round's write. Prints the table and the
# targets; bench/results/failover.md keeps it, bench/results/failover-logs/<variant><round>/ the agents' and servers' logs.
# Run as root on Debian 12. Arguments go to the benchmark (--rounds N, --variants abcdefghijkpqrsx, --monitor-interval S,
# --reconnect-attempts N, --reconnect-interval S for repmgrd). env: MAX_LOAD (default 4), MAX_WAIT (1200 s).
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
require_root failover.sh

bash tools/setup.sh >/dev/null || exit 1
ensure_packages postgresql-15-repmgr patroni || exit 1
# Built before waiting for a quiet machine: the build itself is load.
dotnet build -c Release bench/PgHa.Bench -nologo -v q || exit 1
# The monitors' pwsh (/usr/bin/pwsh in production): the pinned pwsh's files where the postgres user can read them.
PWSH_COPY=$(mktemp -d /tmp/pgha-bench-pwsh.XXXXXX)
cp -r "$HOME/.nuget/packages/powershell/7.6.10/tools/net10.0/any/unix/." "$PWSH_COPY/" && chmod -R a+rX "$PWSH_COPY" || exit 1

echo "== before: $(uptime)"
wait_for_quiet_machine "${MAX_LOAD:-4}" "${MAX_WAIT:-1200}"
before=$(uptime)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "== measuring from: $before (commit $commit)"
# In the background so that SIGTERM reaches the benchmark, which stops its servers and monitors before exiting.
dotnet bench/PgHa.Bench/bin/Release/net10.0/PgHa.Bench.dll failover --pwsh "$PWSH_COPY/pwsh.dll" "$@" & bench=$!
trap 'kill -TERM $bench 2>/dev/null' INT TERM
wait $bench; rc=$?
# A trapped signal ends the first wait early; wait on until the benchmark has cleaned up and exited.
while kill -0 $bench 2>/dev/null; do wait $bench; rc=$?; done
rm -rf "$PWSH_COPY"
after=$(uptime)
echo "== after: $after"
printf '\ncommit %s; uptime before: %s\nuptime after: %s\n' "$commit" "$before" "$after" >> bench/results/failover.md
exit $rc
