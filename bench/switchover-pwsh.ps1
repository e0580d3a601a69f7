#Requires -Version 7.4
<#
.SYNOPSIS
Times Invoke-PgHaSwitchover the two ways a pwsh user meets it: as a whole `pwsh -c` process (as repmgr is
timed: start, import, switch over, exit) and as a call in an open session (the module already imported).

.DESCRIPTION
Run as root, in the pinned pwsh, after a build (dotnet build PgHa.sln -c Release):
    dotnet pwsh -NoProfile -File bench/switchover-pwsh.ps1 [-Rounds 3]
Makes a sandbox of three nodes (New-PgHaSandbox, first free loopback block from 127.0.17.1), then per
round: one switchover to the next node in a new pwsh process (wall time of the process, and the
switchover's own Duration as it reports it), then one in this session (wall time of the call). Writes
bench/results/switchover-pwsh.md and removes the sandbox, also on failure.
#>
[CmdletBinding()]
param([int] $Rounds = 3)

$ErrorActionPreference = 'Stop'
$root = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..'))
$manifest = Get-ChildItem ([IO.Path]::Combine($root, 'output', 'PgHa', '*', 'PgHa.psd1')) | Select-Object -First 1
if (-not $manifest) { throw 'Build first: dotnet build PgHa.sln -c Release.' }
Import-Module $manifest.FullName

# This pwsh again for the child (the .NET tool is dotnet + pwsh.dll).
$exe = [Environment]::ProcessPath
$leading = @()
if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $leading = @([Environment]::GetCommandLineArgs()[0]) }

$path = [IO.Path]::Combine([IO.Path]::GetTempPath(), 'pgha-bench-switchover-pwsh-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$loadStart = (Get-Content /proc/loadavg) -replace '^(\S+ \S+ \S+).*', '$1'
$started = [datetime]::UtcNow
$rows = [System.Collections.Generic.List[object]]::new()
$sandbox = New-PgHaSandbox -Path $path -FirstAddress 127.0.17.1 -Confirm:$false
try {
    $conninfo = @($sandbox.Nodes | ForEach-Object Conninfo)
    $names = @($sandbox.Nodes | ForEach-Object Name)
    $next = 1
    for ($round = 1; $round -le $Rounds; $round++) {
        # A whole process, as repmgr standby switchover is timed.
        $target = $names[$next % $names.Count]; $next++
        $command = "Import-Module '$($manifest.FullName)'; `$r = Invoke-PgHaSwitchover -Name $target -Conninfo '$($conninfo -join "','")' -Confirm:`$false -WarningAction SilentlyContinue; if (-not `$r.Changed) { exit 1 }; `$r.Duration.TotalSeconds"
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $reported = & $exe @leading -NoProfile -NonInteractive -Command $command
        $clock.Stop()
        if ($LASTEXITCODE -ne 0) { throw "The switchover to $target in a new pwsh failed (exit code $LASTEXITCODE)." }
        $rows.Add([pscustomobject]@{ Round = $round; Way = 'pwsh -c process'; Target = $target; WallSeconds = $clock.Elapsed.TotalSeconds; ReportedSeconds = [double]($reported | Select-Object -Last 1) })
        Start-Sleep -Seconds 3

        # A call in this open session.
        $target = $names[$next % $names.Count]; $next++
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $result = Invoke-PgHaSwitchover -Name $target -Conninfo $conninfo -Confirm:$false -WarningAction SilentlyContinue
        $clock.Stop()
        if (-not $result.Changed) { throw "The switchover to $target in this session changed nothing." }
        $rows.Add([pscustomobject]@{ Round = $round; Way = 'call in a session'; Target = $target; WallSeconds = $clock.Elapsed.TotalSeconds; ReportedSeconds = $result.Duration.TotalSeconds })
        Start-Sleep -Seconds 3
    }
}
finally {
    Remove-PgHaSandbox -Path $path -Confirm:$false
}
$loadEnd = (Get-Content /proc/loadavg) -replace '^(\S+ \S+ \S+).*', '$1'

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count % 2) { $sorted[[int][Math]::Floor($sorted.Count / 2)] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
}
$lines = @(
    "# switchover, two ways in pwsh ($($started.ToString('yyyy-MM-dd HH:mm')) UTC, load average $loadStart at the start, $loadEnd at the end)"
    ''
    '| Round | Way | To | Wall s | Duration reported s |'
    '|---:|---|---|---:|---:|'
    $rows | ForEach-Object { '| {0} | {1} | {2} | {3:0.00} | {4:0.00} |' -f $_.Round, $_.Way, $_.Target, $_.WallSeconds, $_.ReportedSeconds }
    ''
    '| Median | Wall s | Duration reported s |'
    '|---|---:|---:|'
    foreach ($way in 'pwsh -c process', 'call in a session') {
        $of = @($rows | Where-Object Way -eq $way)
        '| {0} | {1:0.00} | {2:0.00} |' -f $way, (Get-Median $of.WallSeconds), (Get-Median $of.ReportedSeconds)
    }
)
$results = [IO.Path]::Combine($root, 'bench', 'results')
$null = New-Item -ItemType Directory -Path $results -Force
$lines | Set-Content -LiteralPath ([IO.Path]::Combine($results, 'switchover-pwsh.md'))
$lines
