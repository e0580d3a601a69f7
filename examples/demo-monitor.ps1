#Requires -Version 7.4
# One node's monitor for examples/demo.ps1, which starts one process of this per node as systemd would
# (examples/systemd/pgha-monitor@.service). Arguments: the module manifest, an entry conninfo, the node
# name, a log file, the cluster secret's file.
param([string] $Manifest, [string] $Conninfo, [string] $Name, [string] $LogFile, [string] $SecretFile)
$ErrorActionPreference = 'Stop'
Import-Module -Name $Manifest
Start-PgHaMonitor -Conninfo $Conninfo -Name $Name -LogFile $LogFile -SecretFile $SecretFile
