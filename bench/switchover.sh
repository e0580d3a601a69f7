#!/usr/bin/env bash
# Switchover, PgHa against repmgr 5.3 in one run (issue 4's bench requirement):
#  1. PgHa: PgHa.Bench switchover — New-PgHaSandbox -FirstAddress 127.0.13.1 (3 nodes), a writer
#     (bench/switchover_probe.py) inserting a sequence number every 50 ms, ROUNDS x Invoke-PgHaSwitchover
#     to the next standby, every acknowledged number checked on the final primary; sandbox removed.
#  2. repmgr: the reference anchor scripts (ANCHOR, default /work/shared/reference/repmgr-anchor;
#     127.0.0.11-13:5432, sshd on :2222): setup.sh, RUNS=ROUNDS measure_switchover.sh
#     (standby switchover --siblings-follow, probe.py every 50 ms), a row count against the probe's
#     acknowledged writes, teardown.sh --purge (also on failure or Ctrl+C).
#  3. bench/results/switchover.md: both sides, ratios against the targets (duration <= 0.45x repmgr's,
#     longest write gap <= 0.7x repmgr's, medians of the rounds), lost writes.
# Run as root on Debian 12. env: ROUNDS (default 3), ANCHOR.
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
require_root switchover.sh
ROUNDS=${ROUNDS:-3}
ANCHOR=${ANCHOR:-/work/shared/reference/repmgr-anchor}
RES=bench/results; mkdir -p "$RES"
ABASE=/tmp/repmgr-anchor

bash tools/setup.sh || exit 1
ensure_packages postgresql-15-repmgr python3-psycopg2 || exit 1

cleanup() { echo "== repmgr anchor teardown"; "$ANCHOR/teardown.sh" --purge || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date -u '+%Y-%m-%d %H:%M'); load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rm -f "$RES/switchover-pgha.tsv" "$RES/switchover-repmgr.log"

echo "== PgHa side"
dotnet run -c Release --project bench/PgHa.Bench -- switchover --rounds "$ROUNDS"; pgha_rc=$?
load_mid=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== repmgr side (anchor scripts from $ANCHOR)"
# setup.sh clones without --fast-checkpoint: each pg_basebackup waits for a spread checkpoint (about
# 160-270 s here). An immediate CHECKPOINT on node1 makes a running spread checkpoint finish at once, so
# it is issued every second while setup.sh runs; it stops before the switchovers are measured.
"$ANCHOR/setup.sh" > "$RES/switchover-repmgr-setup.log" 2>&1 & setup_pid=$!
while kill -0 $setup_pid 2>/dev/null; do
    runuser -u postgres -- psql "host=127.0.0.11 port=5432 user=postgres dbname=postgres connect_timeout=1" -XAtqc CHECKPOINT >/dev/null 2>&1
    sleep 1
done
wait $setup_pid; setup_rc=$?
tail -5 "$RES/switchover-repmgr-setup.log"
repmgr_lost="not checked"
if [ $setup_rc -eq 0 ]; then
    RUNS=$ROUNDS "$ANCHOR/measure_switchover.sh" 2>&1 | tee "$RES/switchover-repmgr.log"
    # Acknowledged writes (ok lines of all rounds' probe logs) against the rows on the final primary.
    acked=$(cat $ABASE/probe-switchover-*.log 2>/dev/null | grep -c ' ok ')
    for n in 1 2 3; do
        if [ "$(runuser -u postgres -- psql "host=127.0.0.1$n port=5432 user=postgres dbname=app connect_timeout=2" -XAtqc 'select not pg_is_in_recovery()' 2>/dev/null)" = t ]; then
            rows=$(runuser -u postgres -- psql "host=127.0.0.1$n port=5432 user=postgres dbname=app connect_timeout=2" -XAtqc 'select count(*) from probe')
            repmgr_lost=$(( acked > rows ? acked - rows : 0 ))
            echo "repmgr writes: $acked acknowledged, $rows rows on node$n, at least $repmgr_lost missing"
        fi
    done
else
    echo "repmgr setup failed (rc=$setup_rc), see $RES/switchover-repmgr-setup.log"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$RES" "$started" "$load_start" "$load_mid" "$load_end" "$pgha_rc" "$repmgr_lost" <<'PY'
import sys, re, statistics as st, os
res, started, l0, l1, l2, pgha_rc, rlost = sys.argv[1:]
pg, pw = [], None
if os.path.exists(f"{res}/switchover-pgha.tsv"):
    for line in open(f"{res}/switchover-pgha.tsv"):
        f = line.rstrip("\n").split("\t")
        if f[0] == "round": pg.append(dict(r=f[1], move=f[2], s=float(f[3]), gap=float(f[4]), wu=float(f[5]), steps=f[6]))
        elif f[0] == "writes": pw = dict(attempts=f[1], acked=f[2], rows=f[3], lost=int(f[4]))
rp, gaps = {}, {}
if os.path.exists(f"{res}/switchover-repmgr.log"):
    for line in open(f"{res}/switchover-repmgr.log"):
        m = re.match(r"RESULT switchover run(\d+) (\S+) rc=(\d+) seconds=([\d.]+)", line)
        if m: rp[m[1]] = dict(move=m[2], rc=m[3], s=float(m[4]))
        m = re.match(r"RESULT switchover_write_gap run(\d+) .*max_gap_s=([\d.]+)", line)
        if m: gaps[m[1]] = float(m[2])
out = [f"# switchover benchmark, {started} UTC", "",
       f"2 cores shared with other work; load average (1/5/15 min) at the start {l0}, after PgHa's side {l1}, at the end {l2}.", "",
       "| Side | Round | Move | Duration s | Longest write gap s | PgHa WriteUnavailable s |", "|---|---:|---|---:|---:|---:|"]
for r in pg: out.append(f"| PgHa | {r['r']} | {r['move']} | {r['s']:.2f} | {r['gap']:.2f} | {r['wu']:.2f} |")
for k in sorted(rp): out.append(f"| repmgr 5.3 | {k} | {rp[k]['move']} (rc {rp[k]['rc']}) | {rp[k]['s']:.2f} | {gaps.get(k, float('nan')):.2f} | |")
out.append("")
if pg: out.append("PgHa steps per round: " + " / ".join(f"round {r['r']}: {r['steps']}" for r in pg))
if pw: out.append(f"PgHa writes: {pw['attempts']} attempts, {pw['acked']} acknowledged, {pw['rows']} rows on the final primary, **{pw['lost']} acknowledged writes lost**.")
else: out.append(f"PgHa side did not finish (exit {pgha_rc}).")
out.append(f"repmgr writes: acknowledged minus rows on the final primary = {rlost}.")
if pg and rp and gaps:
    ps, pgp = st.median(r['s'] for r in pg), st.median(r['gap'] for r in pg)
    rs, rg = st.median(v['s'] for v in rp.values()), st.median(gaps.values())
    d, g = ps / rs, pgp / rg
    out += ["", "| Median of rounds | PgHa | repmgr | Ratio | Target | Met |", "|---|---:|---:|---:|---:|---|",
            f"| Duration s | {ps:.2f} | {rs:.2f} | {d:.2f} | <= 0.45 | {'yes' if d <= 0.45 else 'NO'} |",
            f"| Longest write gap s | {pgp:.2f} | {rg:.2f} | {g:.2f} | <= 0.70 | {'yes' if g <= 0.7 else 'NO'} |"]
    mx = max(r['s'] for r in pg) / max(v['s'] for v in rp.values()); mg = max(r['gap'] for r in pg) / max(gaps.values())
    out.append(f"\nWorst round against worst round: duration ratio {mx:.2f}, write gap ratio {mg:.2f}.")
text = "\n".join(out) + "\n"
open(f"{res}/switchover.md", "w").write(text); print(text)
PY
exit $pgha_rc
