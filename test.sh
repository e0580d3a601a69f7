#!/usr/bin/env bash
# The whole test suite, as CI runs it on a fresh Debian 12 machine (as root): installs what is missing
# (PostgreSQL 15, OpenSSH server, nftables), builds the module into output/PgHa/<version>/, runs the
# xunit suites (hosted PowerShell engine + real servers), and ends with one line read from the results:
#   tests: N passed, N failed
set -uo pipefail
cd "$(dirname "$0")"

bash tools/setup.sh || { echo "setup failed"; echo "tests: 0 passed, 0 failed"; exit 1; }

results=TestResults
rm -rf "$results"
dotnet test PgHa.sln -c Release --logger "trx" --results-directory "$results" "$@"
status=$?

passed=0
failed=0
found=0
for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    found=1
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(printf '%s' "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
    f=$(printf '%s' "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
done

echo "tests: $passed passed, $failed failed"
# A run that executed no test, or any failure, is a failure whatever dotnet test said.
if [ "$found" -eq 0 ] || [ "$passed" -eq 0 ] || [ "$failed" -ne 0 ] || [ "$status" -ne 0 ]; then
    exit 1
fi
