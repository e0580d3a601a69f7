#Requires -Version 7.4
<#
.SYNOPSIS
    A Nagios/Icinga plugin for a PgHa cluster: one line of status and performance data, exit 0/1/2/3.
.DESCRIPTION
    Runs Test-PgHaCluster (or Test-PgHaNode for -Node) and reports the worst status: CRITICAL (2) when any
    check is Critical, else WARNING (1), else UNKNOWN (3) when a check could not be made, else OK (0). The
    text names the checks that are not Ok; the performance data carries every numeric check with its
    thresholds ('label'=value[unit];warn;crit). A failure to read the cluster at all is UNKNOWN.
.EXAMPLE
    pwsh -NoProfile -File check_pgha.ps1 -Conninfo 'host=pg1 user=pgha dbname=pgha'
.EXAMPLE
    # An Icinga 2 CheckCommand runs it per node, with repmgr's lag thresholds tightened:
    pwsh -NoProfile -File check_pgha.ps1 -Conninfo 'host=pg1 user=pgha dbname=pgha' -Node pg2 -Check ReplicationLag, Upstream -LagWarning 30 -LagCritical 120
#>
[CmdletBinding()]
param(
    # libpq conninfo of any node (several: the first that answers); passwords from ~/.pgpass or PGPASSWORD.
    [Parameter(Mandatory)] [string[]] $Conninfo,
    # Check only these nodes (Test-PgHaNode); the whole cluster when omitted (Test-PgHaCluster).
    [string[]] $Node,
    # Only these checks (PgHaCheckName values).
    [string[]] $Check,
    [double] $LagWarning = 300,
    [double] $LagCritical = 600,
    [int] $ArchiveReadyWarning = 16,
    [int] $ArchiveReadyCritical = 128,
    [int] $ConnectTimeout = 3,
    # The module to import; by default the installed PgHa.
    [string] $Module = 'PgHa'
)

# Only cmdlets of the PowerShell engine itself (no Sort-Object, Write-Output): the plugin also runs in
# hosts that load nothing but System.Management.Automation and PgHa.
$ErrorActionPreference = 'Stop'
$labels = @{ 0 = 'OK'; 1 = 'WARNING'; 2 = 'CRITICAL'; 3 = 'UNKNOWN' }
try {
    Import-Module $Module
    $arguments = @{
        Conninfo = $Conninfo; ConnectTimeout = $ConnectTimeout
        LagWarning = $LagWarning; LagCritical = $LagCritical
        ArchiveReadyWarning = $ArchiveReadyWarning; ArchiveReadyCritical = $ArchiveReadyCritical
        ErrorVariable = 'failures'; ErrorAction = 'SilentlyContinue'
    }
    if ($Check) { $arguments.Check = $Check }
    $results = if ($Node) { @(Test-PgHaNode -Name $Node @arguments) } else { @(Test-PgHaCluster @arguments) }
    if ($failures.Count -gt 0 -and $results.Count -eq 0) {
        "PGHA UNKNOWN - $($failures[0].Exception.Message)"
        exit 3
    }
    if ($results.Count -eq 0) {
        'PGHA UNKNOWN - no check was made (no such node or check)'
        exit 3
    }
}
catch {
    "PGHA UNKNOWN - $($_.Exception.Message)"
    exit 3
}

$count = @{}
foreach ($status in 'Critical', 'Warning', 'Unknown') { $count[$status] = @($results | Where-Object { "$($_.Status)" -eq $status }).Count }
$code = if ($count.Critical) { 2 } elseif ($count.Warning) { 1 } elseif ($count.Unknown) { 3 } else { 0 }

# The worst first: Critical, then Warning, then Unknown.
$problems = foreach ($status in 'Critical', 'Warning', 'Unknown') {
    $results | Where-Object { "$($_.Status)" -eq $status } |
        ForEach-Object { "$($_.Node) $($_.Check)$(if ($_.Peer) { "->$($_.Peer)" }) $($_.Value)".Trim() }
}
$summary = if ($code -eq 0) {
    "$($results.Count) checks ok"
} else {
    $parts = foreach ($status in 'Critical', 'Warning', 'Unknown') { if ($count[$status]) { "$($count[$status]) $($status.ToLowerInvariant())" } }
    "$($parts -join ', '): $($problems -join '; ')"
}

# Performance data: plugin units are s, B, % or a plain number.
$perfdata = foreach ($result in $results | Where-Object { $null -ne $_.Measure }) {
    $unit = if ($result.Unit -in 's', 'B') { $result.Unit } else { '' }
    $label = "$($result.Node) $($result.Check)$(if ($result.Peer) { " $($result.Peer)" })" -replace "'", ''
    $value = $result.Measure.ToString('0.###', [cultureinfo]::InvariantCulture)
    $warn = if ($null -ne $result.WarningAbove) { $result.WarningAbove.ToString('0.###', [cultureinfo]::InvariantCulture) }
    $crit = if ($null -ne $result.CriticalAbove) { $result.CriticalAbove.ToString('0.###', [cultureinfo]::InvariantCulture) }
    "'$label'=$value$unit;$warn;$crit"
}

"PGHA $($labels[$code]) - $summary" + $(if ($perfdata) { ' | ' + ($perfdata -join ' ') })
exit $code
