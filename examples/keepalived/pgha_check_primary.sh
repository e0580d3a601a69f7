#!/bin/sh
# keepalived vrrp_script check for PgHa: exit 0 only when the local PostgreSQL server is a writable
# primary (it answers, and pg_is_in_recovery() is false); exit 1 for anything else: a standby, a fenced
# or stopped server, a server that does not answer in time, a missing psql.
#
# Usage: pgha_check_primary.sh [HOST_OR_SOCKET_DIRECTORY [PORT [PSQL]]]
#   defaults: /var/run/postgresql, 5432, psql from PATH (/usr/pgsql-12/bin/psql on the seed's servers)
# Run it as the PostgreSQL OS user (keepalived: script_user postgres), which logs in through the
# Unix socket with peer authentication; or give a user and password in ~postgres/.pgpass.
set -u

host="${1:-/var/run/postgresql}"
port="${2:-5432}"
psql="${3:-psql}"

# A hung server must not hang the check: connect_timeout (2 s is the smallest libpq honours) bounds the
# connection and statement_timeout the query; keepalived's own "timeout" is the last resort.
answer="$(PGCONNECT_TIMEOUT=2 PGOPTIONS='-c statement_timeout=1000' \
    "$psql" -XAtq -h "$host" -p "$port" -d postgres -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" || exit 1

if [ "$answer" = "t" ]; then
    exit 0
fi
exit 1
