#!/usr/bin/env bash
# The fault suite (issue 9): every scenario of tests/PgHa.Tests/Faults, each on a fresh 3-node loopback
# cluster whose nodes each sit in a cgroup v2 of their own (postmaster tree + monitor process), run N times
# (default 3), then a table per scenario: runs, passes, and the worst case of each measure:
#   max writable at once   the most nodes that acknowledged a real INSERT at one instant (watcher, every 20 ms)
#   two writable (s)       how long two nodes did, in all
#   lost acked             acknowledged writes (the writer's INSERT ... RETURNING) missing on the final primary
#   one primary (s)        fault -> the final primary takes a write after the last write any other node took
#   none writable (s)      the longest stretch after the fault in which no node took a write (bound: 15 s)
#   all streaming (s)      heal -> every other node streams from the final primary (bound: 15 s, less the
#                          start of a monitor process restarted at the heal, its own column)
# Every scenario runs on both consensus backends (issue 10): a [Theory] over PgHaConsensusBackend, e.g.
# KillPostmaster(backend: BuiltIn) and KillPostmaster(backend: Etcd), tabled as KillPostmaster and
# KillPostmasterEtcd; StaleLeaderKeyThenKill is etcd only.
# Usage: bench/faults.sh [N] ; env FILTER narrows the scenarios (a dotnet test filter, e.g.
# FILTER='FullyQualifiedName~FreezeFaultTests'; the etcd rows only:
# FILTER='FullyQualifiedName~PgHa.Tests.Faults&DisplayName~Etcd', the built-in ones: ...&DisplayName~BuiltIn),
# MAX_LOAD / MAX_WAIT as in the other benchmarks.
# Each run's trx (with every monitor's log) goes to bench/results/faults/; the table to bench/results/faults.md.
# Run as root on Debian 12.
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
require_root faults.sh

runs=${1:-3}
filter=${FILTER:-FullyQualifiedName~PgHa.Tests.Faults}
out=bench/results/faults
mkdir -p "$out"
results="$out/outcomes.jsonl"
: > "$results"

bash tools/setup.sh || exit 1
dotnet build PgHa.sln -c Release -nologo -v q || exit 1
echo "== before: $(uptime)"
wait_for_quiet_machine "${MAX_LOAD:-4}" "${MAX_WAIT:-1200}"

for i in $(seq 1 "$runs"); do
    echo "== run $i of $runs: $(uptime)"
    PGHA_FAULTS_RESULTS="$PWD/$results" dotnet test tests/PgHa.Tests -c Release --no-build --filter "$filter" \
        --logger "trx;LogFileName=faults-$i.trx" --results-directory "$out" --logger "console;verbosity=normal" \
        | grep -E '^\s+(Passed|Failed) |^Total|Passed!|Failed!'
done
echo "== after: $(uptime)"

python3 - "$results" <<'PY' | tee bench/results/faults.md
import json, sys
rows = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    rows.setdefault(o["scenario"], []).append(o)

def worst(values, pick=max):
    values = [v for v in values]
    if any(v is None for v in values):
        return "never"
    return f"{pick(values):.2f}" if values else "-"

print("| scenario | runs | pass | max writable at once | two writable (s) | lost acked (worst) | one primary (s, worst) | none writable (s, worst) | all streaming (s, worst) | restarted monitor's start (s, worst) | failures |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name, os_ in rows.items():
    fails = sorted({f for o in os_ for f in o["failures"]})
    print(f"| {name} | {len(os_)} | {sum(o['passed'] for o in os_)} | {max(o['maxWritableAtOnce'] for o in os_)} "
          f"| {max(o['twoWritableSeconds'] for o in os_):.3f} | {max(o['lostAckedWrites'] for o in os_)} "
          f"| {worst([o['timeToOnePrimary'] for o in os_])} | {worst([o.get('longestWithoutWrites') for o in os_])} | {worst([o['timeToAllStreaming'] for o in os_])} "
          f"| {worst([s for o in os_ if (s := o.get('restartedMonitorStart')) is not None]) if any(o.get('restartedMonitorStart') is not None for o in os_) else '-'} "
          f"| {'; '.join(fails)} |")
PY
