#Requires -Version 7.4
# A failover decided by etcd: a throwaway three-node cluster with a 3-member etcd beside it (New-PgHaSandbox
# -Etcd records etcd as the cluster's consensus), one monitor process per node, then kill -9 of the primary's
# postmaster. The primary's monitor fences the data directory and deletes its leader key; the best standby
# creates the key (a transaction that succeeds only while it is absent) in a newer term and is promoted; the
# other standby follows it; the old primary rejoins. Needs Debian's etcd-server and PostgreSQL 15, as root.
# Runs in pwsh after Import-Module PgHa.
param(
    # How many times to kill the primary (each round fails over once more, from the newest primary).
    [int] $Rounds = 1
)
$ErrorActionPreference = 'Stop'
$psql = '/usr/lib/postgresql/15/bin/psql'
$monitors = @()
. "$PSScriptRoot/demo-helpers.ps1"

function Get-Writable($Sandbox) {
    foreach ($node in $Sandbox.Nodes) {
        if ((& $psql -X -A -t -d $node.Conninfo -c 'SELECT pg_is_in_recovery()' 2>$null) -eq 'f') { $node }
    }
}

"`n== New-PgHaSandbox -Etcd: a primary, two standbys and a 3-member etcd, each on its own loopback address"
$sandbox = New-PgHaSandbox -Etcd
try {
    $sandbox.Nodes | ForEach-Object { '   {0,-6} {1,-8} {2}:{3}' -f $_.Name, $_.Role, $_.Address, $_.Port }
    '   etcd   {0}' -f ($sandbox.EtcdEndpoints -join ',')
    $sandbox | Get-PgHaCluster | Out-Default

    "`n== One monitor per node, each its own process (as under systemd); they run the consensus the metadata records: etcd"
    $monitors = foreach ($node in $sandbox.Nodes) {
        Start-DemoMonitor -Node $node -Conninfo $sandbox.Conninfo -Log "$($sandbox.Path)/monitor-$($node.Name).log" -SecretFile $sandbox.SecretFile
    }
    Wait-Until -Seconds 60 -What 'every monitor to run and the primary to hold the leader key' {
        $status = @(Get-PgHaMonitor -Conninfo $sandbox.Conninfo)
        $status.Count -eq 3 -and -not ($status | Where-Object { -not $_.Running }) -and
            (Get-PgHaCluster -Conninfo $sandbox.Conninfo -WarningAction SilentlyContinue).Consensus.Leader
    }
    Get-PgHaMonitor -Conninfo $sandbox.Conninfo | ForEach-Object {
        '   {0,-6} {1,-8} consensus {2}, term {3}{4}' -f $_.Name, $_.Role, $_.Consensus, $_.Term,
            $(if ($null -ne $_.LeaseSecondsLeft) { ', lease {0:0.0} s left' -f $_.LeaseSecondsLeft })
    }

    for ($round = 1; $round -le $Rounds; $round++) {
        $primary = @(Get-Writable $sandbox)[0]
        $consensus = (Get-PgHaCluster -Conninfo $primary.Conninfo -WarningAction SilentlyContinue).Consensus
        "`n== Round ${round}: the leader key names $($consensus.Leader) (lease TTL $($consensus.LeaderLeaseTtl) s); kill -9 of $($primary.Name)'s postmaster"
        $postmaster = Get-Content -LiteralPath "$($primary.DataDirectory)/postmaster.pid" -TotalCount 1
        & /bin/kill -KILL $postmaster
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $promoted = $null
        Wait-Until -Seconds 60 -What 'a standby to be promoted' {
            $script:promoted = @(Get-Writable $sandbox | Where-Object Name -NE $primary.Name)[0]
            $null -ne $script:promoted
        }
        '   {0} takes writes {1:0.00} s after the kill' -f $promoted.Name, $clock.Elapsed.TotalSeconds
        $after = (Get-PgHaCluster -Conninfo $promoted.Conninfo -WarningAction SilentlyContinue).Consensus
        '   the leader key now names {0}; its monitor took it in a transaction that succeeds only while the key is absent' -f $after.Leader
        Wait-Until -Seconds 90 -What 'the other nodes to stream from the new primary' {
            $nodes = @(Get-PgHaCluster -Conninfo $promoted.Conninfo -WarningAction SilentlyContinue).Nodes
            @($nodes | Where-Object { $_.Name -ne $promoted.Name -and $_.StreamingFrom -eq $promoted.Name }).Count -eq 2
        }
        '   {0} was fenced by its monitor and rejoined; all streaming {1:0.0} s after the kill' -f $primary.Name, $clock.Elapsed.TotalSeconds
    }
    Get-PgHaCluster -Conninfo $promoted.Conninfo | Out-Default

    "`n== Get-PgHaEvent: who fenced, who was promoted, who followed"
    Get-PgHaEvent -Conninfo $promoted.Conninfo | Out-Default
}
finally {
    foreach ($monitor in @($monitors)) { if ($monitor) { Stop-DemoMonitor $monitor } }
    "`n== Remove-PgHaSandbox: stop the servers and etcd, delete the folder"
    $sandbox | Remove-PgHaSandbox -Confirm:$false
}
