#Requires -Version 7.4
# PgHa in two minutes: a throwaway three-node cluster on loopback, shown, written to, read from, one node
# rebuilt, and removed again. Runs unchanged in pwsh (after Import-Module PgHa) and in tools/PgHa.Run,
# which hosts only the engine's core cmdlets: hence plain strings and .NET calls instead of
# Write-Host, Format-Table or Test-Path.
$ErrorActionPreference = 'Stop'
$psql = '/usr/lib/postgresql/15/bin/psql'

"`n== New-PgHaSandbox: a primary and two standbys, each on its own loopback address"
$sandbox = New-PgHaSandbox
try {
    $sandbox.Nodes | ForEach-Object { '   {0,-6} {1,-8} {2}:{3}  {4}' -f $_.Name, $_.Role, $_.Address, $_.Port, $_.DataDirectory }
    '   made in {0:0.0} s, in {1}' -f $sandbox.Duration.TotalSeconds, $sandbox.Path

    "`n== Get-PgHaCluster (what repmgr cluster show prints)"
    $sandbox | Get-PgHaCluster | Out-Default

    "`n== A row written on the primary is read on a standby"
    $primary = $sandbox.Nodes | Where-Object Role -EQ Primary
    $standby = $sandbox.Nodes | Where-Object Name -EQ node2
    & $psql -X -q -d $primary.Conninfo -c "CREATE TABLE demo (id int, said text); INSERT INTO demo VALUES (1, 'hello from node1')"
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    do {
        $row = & $psql -X -A -t -d $standby.Conninfo -c 'SELECT said FROM demo WHERE id = 1' 2>$null
        if (-not $row) { [System.Threading.Thread]::Sleep(50) }
    } until ($row -or [DateTime]::UtcNow -gt $deadline)
    "   node2 reads: $row"

    "`n== Rebuild node3 in one line: stop it, clone it again from node1 (-Force), start and register it"
    $node3 = $sandbox.Nodes | Where-Object Name -EQ node3
    Get-PgHaNode -Conninfo $sandbox.Conninfo -Name node3 | Stop-PgHaNode | Out-Default
    Get-PgHaNode -Conninfo $sandbox.Conninfo -Name node1 |
        New-PgHaStandby -Name node3 -DataDirectory $node3.DataDirectory -Conninfo $node3.Conninfo -Force -Register -Confirm:$false |
        Out-Default
    $sandbox | Get-PgHaCluster | Out-Default

    "`n== Get-PgHaEvent (what repmgr cluster event prints)"
    Get-PgHaEvent -Conninfo $sandbox.Conninfo | Out-Default
}
finally {
    "`n== Remove-PgHaSandbox: stop the servers, delete the folder"
    $sandbox | Remove-PgHaSandbox -Confirm:$false
    '   {0}: {1}' -f $sandbox.Path, $(if ([System.IO.Directory]::Exists($sandbox.Path)) { 'still there!' } else { 'gone' })
}
