#!/usr/bin/env bash
# The main job: a throwaway three-node PostgreSQL 15 cluster on loopback, driven by the PgHa module
# (examples/demo.ps1; a switchover, then an automatic failover by one monitor process per node after a kill -9). Run as root on Debian 12 with the .NET 10 SDK: installs what is missing
# (PostgreSQL 15, OpenSSH server, nftables), builds the module, and runs the demo through a small
# console host over the PowerShell 7.6 engine (no pwsh needed). With pwsh: Import-Module the built
# module and run examples/demo.ps1.
set -euo pipefail
cd "$(dirname "$0")"
bash tools/setup.sh >/dev/null
dotnet build tools/PgHa.Run -c Release -nologo -v quiet >/dev/null
exec dotnet tools/PgHa.Run/bin/Release/net10.0/PgHa.Run.dll examples/demo.ps1
