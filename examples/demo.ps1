#Requires -Version 7.4
# PgHa in two minutes: a throwaway three-node cluster on loopback, shown, written to, read from, one node
# rebuilt, switched over, failed over automatically by its monitors after a kill -9, and removed again. Runs in
# pwsh after Import-Module PgHa (./demo.sh runs it in the pinned pwsh), each monitor in a pwsh process of its own.
$ErrorActionPreference = 'Stop'
$psql = '/usr/lib/postgresql/15/bin/psql'
$monitors = @()
# Start-DemoMonitor, Stop-DemoMonitor and Wait-Until, shared with examples/etcd-failover.ps1.
. "$PSScriptRoot/demo-helpers.ps1"

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
        if (-not $row) { Start-Sleep -Milliseconds 50 }
    } until ($row -or [DateTime]::UtcNow -gt $deadline)
    "   node2 reads: $row"

    "`n== Rebuild node3 in one line: stop it, clone it again from node1 (-Force), start and register it"
    $node3 = $sandbox.Nodes | Where-Object Name -EQ node3
    Get-PgHaNode -Conninfo $sandbox.Conninfo -Name node3 | Stop-PgHaNode | Out-Default
    Get-PgHaNode -Conninfo $sandbox.Conninfo -Name node1 |
        New-PgHaStandby -Name node3 -DataDirectory $node3.DataDirectory -Conninfo $node3.Conninfo -Force -Register -Confirm:$false |
        Out-Default
    $sandbox | Get-PgHaCluster | Out-Default

    "`n== Invoke-PgHaSwitchover: node2 becomes the primary; node1 rejoins as its standby, node3 follows it"
    Get-PgHaNode -Conninfo $sandbox.Conninfo -Name node2 | Invoke-PgHaSwitchover -Confirm:$false | Out-Default
    $sandbox | Get-PgHaCluster | Out-Default

    "`n== Automatic failover: one monitor per node, each its own process (as under systemd), then kill -9 of node2's postmaster"
    $monitors = foreach ($node in $sandbox.Nodes) {
        # The sandbox made a cluster secret for them: the monitors sign what they say to each other with it.
        Start-DemoMonitor -Node $node -Conninfo $sandbox.Conninfo -Log "$($sandbox.Path)/monitor-$($node.Name).log" -SecretFile $sandbox.SecretFile
    }
    Wait-Until -Seconds 60 -What 'every monitor to run' {
        $status = @(Get-PgHaMonitor -Conninfo $sandbox.Conninfo)
        $status.Count -eq 3 -and -not ($status | Where-Object { -not $_.Running })
    }
    Get-PgHaMonitor -Conninfo $sandbox.Conninfo | Out-Default

    $node2 = $sandbox.Nodes | Where-Object Name -EQ node2
    $postmaster = Get-Content -LiteralPath "$($node2.DataDirectory)/postmaster.pid" -TotalCount 1
    & /bin/kill -KILL $postmaster
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $promoted = $null
    Wait-Until -Seconds 60 -What 'a standby to be promoted' {
        foreach ($node in $sandbox.Nodes | Where-Object Name -NE node2) {
            if ((& $psql -X -A -t -d $node.Conninfo -c 'SELECT pg_is_in_recovery()' 2>$null) -eq 'f') { $script:promoted = $node }
        }
        $null -ne $script:promoted
    }
    '   {0} takes writes {1:0.0} s after the kill' -f $promoted.Name, $clock.Elapsed.TotalSeconds
    Wait-Until -Seconds 90 -What 'the other nodes to stream from the new primary' {
        $nodes = @(Get-PgHaCluster -Conninfo $promoted.Conninfo -WarningAction SilentlyContinue).Nodes
        @($nodes | Where-Object { $_.Name -ne $promoted.Name -and $_.StreamingFrom -eq $promoted.Name }).Count -eq 2
    }
    '   node2 was fenced by its monitor and rejoined with pg_rewind; all streaming {0:0.0} s after the kill' -f $clock.Elapsed.TotalSeconds
    Get-PgHaCluster -Conninfo $promoted.Conninfo | Out-Default

    "`n== Get-PgHaEvent (what repmgr cluster event prints)"
    Get-PgHaEvent -Conninfo $promoted.Conninfo | Out-Default
}
finally {
    foreach ($monitor in @($monitors)) { if ($monitor) { Stop-DemoMonitor $monitor } }
    "`n== Remove-PgHaSandbox: stop the servers, delete the folder"
    $sandbox | Remove-PgHaSandbox -Confirm:$false
    '   {0}: {1}' -f $sandbox.Path, $(if (Test-Path -LiteralPath $sandbox.Path) { 'still there!' } else { 'gone' })
}
