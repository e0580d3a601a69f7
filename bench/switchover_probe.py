#!/usr/bin/python3
"""Write probe for bench/switchover.sh, the reference probe.py with a sequence number: every INTERVAL s one
INSERT of the next number into probe_seq on whichever node is read-write (libpq multi-host +
target_session_attrs=read-write, same connection settings as the repmgr anchor's probe.py). One line per
attempt: '<epoch> ok <seq> <host>' once the INSERT is acknowledged (autocommit), '<epoch> err <seq> <msg>'
otherwise. Every 'ok' number must be on the final primary. Stops on SIGTERM.
usage: switchover_probe.py LOG HOSTS [INTERVAL] [DBNAME]"""
import sys, time, signal, psycopg2
out = open(sys.argv[1], "a", buffering=1)
hosts = sys.argv[2]
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05
dbname = sys.argv[4] if len(sys.argv) > 4 else "app"
dsn = (f"host={hosts} port=5432 user=postgres dbname={dbname} connect_timeout=1 "
       "target_session_attrs=read-write options='-c statement_timeout=1000'")
stop = False
def _term(*a):
    global stop; stop = True
signal.signal(signal.SIGTERM, _term); signal.signal(signal.SIGINT, _term)
conn = None
seq = 0
nxt = time.time()
while not stop:
    seq += 1
    try:
        if conn is None:
            conn = psycopg2.connect(dsn); conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("insert into probe_seq(seq, src) values (%s, %s)", (seq, conn.info.host))
        out.write(f"{time.time():.3f} ok {seq} {conn.info.host}\n")
    except Exception as e:
        msg = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        out.write(f"{time.time():.3f} err {seq} {msg}\n")
        try:
            if conn is not None: conn.close()
        except Exception: pass
        conn = None
    nxt += interval
    d = nxt - time.time()
    if d > 0: time.sleep(d)
    else: nxt = time.time()
