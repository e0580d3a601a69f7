#!/usr/bin/env bash
# The main job: a throwaway three-node PostgreSQL 15 cluster on loopback, driven by the PgHa module
# (examples/demo.ps1; a switchover, then an automatic failover by one monitor process per node after a
# kill -9). Run as root on Debian 12 with the .NET 10 SDK: installs what is missing (PostgreSQL 15,
# OpenSSH server, nftables, and pwsh 7.6.10 from the .NET tool manifest .config/dotnet-tools.json),
# builds the module into output/PgHa/<version>/, and runs the demo in that pwsh, where the module is
# imported by name. The demo's monitor processes run in the same pwsh.
set -euo pipefail
cd "$(dirname "$0")"
bash tools/setup.sh >/dev/null
dotnet build src/PgHa -c Release -nologo -v quiet >/dev/null
# output/ holds PgHa/<version>/: a module folder, so Import-Module PgHa finds it by name.
export PSModulePath="$PWD/output${PSModulePath:+:$PSModulePath}"
exec dotnet pwsh -NoProfile -NonInteractive -Command 'Import-Module PgHa; & ./examples/demo.ps1'
