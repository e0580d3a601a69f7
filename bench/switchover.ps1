#Requires -Version 7.4
<#
.SYNOPSIS
The rounds of bench/switchover.sh: PgHa and repmgr 5.3.3 switchovers on two clusters of the same layout,
interleaved, each timed as a whole process, PgHa also as a call in this open session.

.DESCRIPTION
Run by bench/switchover.sh (as root, in the pinned pwsh), which has made both clusters' servers and sshd:
repmgr's from the anchor's setup.sh (127.0.0.11-13, repmgrd running), PgHa's primary on 127.0.13.1 with its
sshd on 127.0.13.1-3:2222. This script registers PgHa's primary, clones and registers its standbys
(New-PgHaStandby over SSH, with replication slots), starts one monitor per node as the systemd example
starts it, starts one write probe per cluster, then runs the rounds. Per round, three switchovers, each to
the next node of its cluster once every standby streams from the primary and every agent runs (monitors
not paused):
  - repmgr:       runuser -u postgres -- repmgr -f <target's repmgr.conf> standby switchover --siblings-follow
  - PgHa process: pwsh -NoProfile -NonInteractive -c "Import-Module ...; Invoke-PgHaSwitchover ...", with pwsh as
                  Microsoft's packages install it (ReadyToRun images; bench/pwsh-readytorun.sh), run as
                  `dotnet <its pwsh.dll>` as its launcher does
  - PgHa process, .NET tool: the same through `dotnet pwsh` (the tool package: JIT-compiled, and dotnet's tool lookup)
  - PgHa session: Invoke-PgHaSwitchover in this session (the module imported long before)
in that order in odd rounds and reversed in even ones. Wall time around the process or the call; the
longest stretch between two writes the cluster's probe had acknowledged that overlaps it; the 1-minute load
average just before. Before round 1, one untimed switchover of each cluster (first-call costs). Per round
also `pwsh -NoProfile -c "Import-Module ..."` alone, both ways: what starting pwsh and importing PgHa cost.
With -NoMonitorRounds N, N pairs follow: an in-session switchover with PgHa's monitors stopped, then one
with them started again. Every acknowledged write of each probe is looked up on its cluster's final primary. Writes
bench/results/switchover.md, switchover.tsv and the logs under bench/results/switchover-logs/.
Stopping what was started is switchover.sh's EXIT trap (by the pid files under -PgHaBase).
#>
[CmdletBinding()]
param(
    [string] $PgHaBase = '/tmp/pgha-bench-switchover',
    [string] $RepmgrBase = '/tmp/repmgr-anchor',
    [int] $Rounds = 5,
    [int] $Settle = 5,
    [int] $NoMonitorRounds = 3,
    [string] $Commit = 'unknown',
    # PgHa's side alone (bench/switchover.sh with PGHA_ONLY=1): no repmgr cluster, no repmgr rounds, no ratio.
    [switch] $PgHaOnly
)

$ErrorActionPreference = 'Stop'
$root = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..'))
Set-Location $root  # dotnet pwsh finds the pinned tool from the repository's manifest
$manifest = (Get-ChildItem ([IO.Path]::Combine($root, 'output', 'PgHa', '*', 'PgHa.psd1')) | Select-Object -First 1).FullName
if (-not $manifest) { throw 'Build first: dotnet build PgHa.sln -c Release.' }
Import-Module $manifest
$pgbin = '/usr/lib/postgresql/15/bin'
$results = [IO.Path]::Combine($root, 'bench', 'results')
$logs = [IO.Path]::Combine($results, 'switchover-logs')
Remove-Item -Recurse -Force -LiteralPath $logs -ErrorAction SilentlyContinue
$null = New-Item -ItemType Directory -Force -Path $logs

# This session's SSH settings and cluster secret, as an operator's workstation would hold them (root's own copy
# of the secret: the file is copied to each user like a .pgpass).
$ssh = @{ SshKeyFile = "$PgHaBase/home/.ssh/id_ed25519"; KnownHostsFile = "$PgHaBase/home/.ssh/known_hosts" }
$secret = "$PgHaBase/run/cluster-secret.root"
Copy-Item "$PgHaBase/home/.pgha/cluster-secret" $secret
& chown root:root $secret; & chmod 600 $secret
$env:PGHA_CLUSTER_SECRET_FILE = $secret

function New-Side([string] $Name, [string[]] $Addresses) {
    [pscustomobject]@{
        Name = $Name
        Nodes = @(for ($i = 0; $i -lt $Addresses.Count; $i++) { [pscustomobject]@{ Name = "node$($i + 1)"; Address = $Addresses[$i] } })
        ProbeLog = [IO.Path]::Combine($logs, "probe-$Name.log")
        Probe = $null
    }
}
$pgha = New-Side 'pgha' @('127.0.13.1', '127.0.13.2', '127.0.13.3')
$repmgr = New-Side 'repmgr' @('127.0.0.11', '127.0.0.12', '127.0.0.13')
function Conninfo($Node) { "host=$($Node.Address) port=5432 user=postgres dbname=pgha connect_timeout=2" }
$pghaConninfo = @($pgha.Nodes | ForEach-Object { Conninfo $_ })

function Sql([string] $Address, [string] $Database, [string] $Query) {
    $out = & "$pgbin/psql" -XAtq -v ON_ERROR_STOP=1 -d "host=$Address port=5432 user=postgres dbname=$Database connect_timeout=2" -c $Query 2>$null
    if ($LASTEXITCODE -ne 0) { return $null }
    $out
}
function Now { [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0 }
function Load { (Get-Content /proc/loadavg).Split(' ')[0] }

function Primary($Side) {
    $writable = @($Side.Nodes | Where-Object { (Sql $_.Address postgres 'select pg_is_in_recovery()') -eq 'f' })
    if ($writable.Count -eq 1) { $writable[0] } else { $null }
}

# What runs on the side's agents: every PgHa monitor running and not paused; every repmgrd alive.
function Agents($Side) {
    if ($Side.Name -eq 'pgha') {
        $status = @(Get-PgHaMonitor -Conninfo $pghaConninfo -WarningAction SilentlyContinue)
        $up = @($status | Where-Object { $_.Running -and -not $_.Paused }).Count
        return "$up/$($status.Count) monitors"
    }
    $up = @(1..3 | Where-Object { $file = "$RepmgrBase/node$_/repmgrd.pid"; (Test-Path $file) -and (Alive ([int](Get-Content $file))) }).Count
    "$up/3 repmgrd"
}

function Alive([int] $Id) { & /bin/kill -0 $Id 2>$null; $LASTEXITCODE -eq 0 }

# An agent that died is started again, as systemd's Restart= would (PgHa's unit: Restart=always), and said so in the
# round's record: a repmgrd ended once after a switchover in a trial run here.
function Revive-Agents($Side) {
    $revived = foreach ($i in 1..3) {
        $file = if ($Side.Name -eq 'pgha') { "$PgHaBase/run/monitor-node$i.pid" } else { "$RepmgrBase/node$i/repmgrd.pid" }
        if ((Test-Path $file) -and (Alive ([int](Get-Content $file)))) { continue }
        if ($Side.Name -eq 'pgha') { Start-Monitor $pgha.Nodes[$i - 1] }
        else { & runuser -u postgres -- "$pgbin/repmgrd" -f "$RepmgrBase/node$i/repmgr.conf" *> $null }
        "node$i"
    }
    if ($revived) { "; started again: $($revived -join ', ')" }
}

# Until one primary has both standbys streaming and (when asked) every agent runs; then its name and the agents.
function Wait-Ready($Side, [bool] $WithAgents, [int] $Seconds = 120) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    $revived = if ($WithAgents) { Revive-Agents $Side }
    while ($true) {
        $primary = Primary $Side
        $agents = if ($WithAgents) { Agents $Side } else { 'not asked' }
        if ($primary -and (Sql $primary.Address postgres "select count(*) from pg_stat_replication where state = 'streaming'") -eq '2' -and
            (-not $WithAgents -or $agents -match '^3/3 ')) {
            return [pscustomobject]@{ Primary = $primary; Agents = "$agents$revived" }
        }
        if ([DateTime]::UtcNow -gt $deadline) {
            throw "$($Side.Name): not ready within $Seconds s (primary: $($primary.Name); agents: $agents)."
        }
        Start-Sleep -Milliseconds 250
    }
}

function Next($Side, $Primary) {
    $i = [array]::IndexOf(@($Side.Nodes | ForEach-Object Name), $Primary.Name)
    $Side.Nodes[($i + 1) % $Side.Nodes.Count]
}

# The longest stretch between two acknowledged writes that overlaps [t0, t1].
function Longest-Gap([string] $Log, [double] $T0, [double] $T1) {
    $oks = @(Get-Content -LiteralPath $Log | ForEach-Object { $f = $_.Split(' '); if ($f[1] -eq 'ok') { [double]$f[0] } })
    $best = 0.0
    for ($i = 1; $i -lt $oks.Count; $i++) {
        if ($oks[$i] -ge $T0 -and $oks[$i - 1] -le $T1) { $best = [Math]::Max($best, $oks[$i] - $oks[$i - 1]) }
    }
    $best
}

function Start-Logged([string] $Log, [string] $PidFile, [string[]] $Command) {
    # sh sends the output to the log and execs the command, so the pid is the command's own.
    $start = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
    foreach ($a in @('-c', 'exec "$@" >>"$0" 2>&1', $Log) + $Command) { $start.ArgumentList.Add($a) }
    $process = [Diagnostics.Process]::Start($start)
    Set-Content -LiteralPath $PidFile -Value $process.Id
    $process
}

function Stop-Pid([int] $Id, [int] $Seconds = 15) {
    & /bin/kill -TERM $Id 2>$null
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while ((Alive $Id) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
    & /bin/kill -KILL $Id 2>$null
}

# --- PgHa side: register, clone, monitors ---
"== PgHa: Register-PgHaNode node1, New-PgHaStandby node2 and node3 over SSH, with replication slots"
$setupClock = [Diagnostics.Stopwatch]::StartNew()
$n1 = $pgha.Nodes[0]
$null = Register-PgHaNode -Role Primary -Name node1 -Conninfo (Conninfo $n1) -DataDirectory "$PgHaBase/node1/data" -SlotName pgha_node1 `
    -SshHost $n1.Address -SshPort 2222 @ssh -Confirm:$false
foreach ($node in $pgha.Nodes | Select-Object -Skip 1) {
    $null = New-PgHaStandby -Name $node.Name -SourceConninfo (Conninfo $n1) -DataDirectory "$PgHaBase/$($node.Name)/data" -Conninfo (Conninfo $node) `
        -SshHost $node.Address -SshPort 2222 -UseReplicationSlot -Start -Register @ssh -Confirm:$false
}
'   done in {0:0.0} s' -f $setupClock.Elapsed.TotalSeconds

# One configuration file per node, as /etc/pgha/<name>.psd1 of the systemd example (Failover must be said).
$ids = @{}; Get-PgHaNode -Conninfo $pghaConninfo | ForEach-Object { $ids[$_.Name] = $_.Id }
foreach ($node in $pgha.Nodes) {
    $node | Add-Member Config "$PgHaBase/$($node.Name)/pgha.psd1"
    Set-Content -LiteralPath $node.Config -Value @"
@{
    NodeId        = $($ids[$node.Name])
    NodeName      = '$($node.Name)'
    Conninfo      = '$(Conninfo $node)'
    DataDirectory = '$PgHaBase/$($node.Name)/data'
    Failover      = 'Automatic'
}
"@
    & chown postgres:postgres $node.Config
}

"== PgHa: monitors as examples/systemd/pgha-monitor@.service runs them (paused while they start, as its comment says)"
$null = Suspend-PgHaMonitor -Conninfo $pghaConninfo -Confirm:$false -WarningAction SilentlyContinue
function Start-Monitor($Node) {
    # User=postgres, Nice=-5, LimitRTPRIO=1, ExecStart=pwsh -NoProfile -NonInteractive -Command "Import-Module PgHa; Start-PgHaMonitor
    # -Config /etc/pgha/%i.psd1 -LogFile /var/log/pgha/%i.log -StateFile /var/lib/pgha/%i.vote.json -ManageServer".
    # HOME is the bench's own home of postgres (its SSH key, known_hosts and cluster secret); setpriv, as systemd's
    # User=, opens no PAM session.
    $command = "Import-Module '$manifest'; Start-PgHaMonitor -Config $($Node.Config) -LogFile $PgHaBase/log/$($Node.Name).log -StateFile $PgHaBase/state/$($Node.Name).vote.json -ManageServer"
    $null = Start-Logged "$PgHaBase/log/$($Node.Name).console" "$PgHaBase/run/monitor-$($Node.Name).pid" @(
        # LimitRTPRIO=1 cannot be set in this sandbox (no CAP_SYS_RESOURCE to raise it): ambient CAP_SYS_NICE allows the same.
        '/usr/bin/nice', '-n', '-5', '/usr/bin/setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups',
        '--inh-caps=+sys_nice', '--ambient-caps=+sys_nice',
        '/usr/bin/env', '-u', 'PGHA_CLUSTER_SECRET_FILE', "HOME=$PgHaBase/home", '/usr/bin/dotnet', "$PgHaBase/pwsh/pwsh.dll",
        '-NoProfile', '-NonInteractive', '-Command', $command)
}

function Start-Monitors {
    foreach ($node in $pgha.Nodes) { Start-Monitor $node }
    $deadline = [DateTime]::UtcNow.AddSeconds(120)
    while (@(Get-PgHaMonitor -Conninfo $pghaConninfo -WarningAction SilentlyContinue | Where-Object Running).Count -lt 3) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "The PgHa monitors did not all run within 120 s; see $PgHaBase/log." }
        Start-Sleep -Milliseconds 500
    }
    $null = Resume-PgHaMonitor -Conninfo $pghaConninfo -Confirm:$false
}
Start-Monitors
Get-PgHaMonitor -Conninfo $pghaConninfo | Format-Table Name, Running, Role, Paused, Term, Primary | Out-String | Write-Host

# --- one write probe per cluster, for the whole run ---
$sides = if ($PgHaOnly) { @($pgha) } else { @($pgha, $repmgr) }
foreach ($side in $sides) {
    $primary = (Wait-Ready $side $false).Primary
    $null = Sql $primary.Address postgres 'CREATE DATABASE app' # exists on repmgr's side (the anchor's setup.sh)
    $null = Sql $primary.Address app 'CREATE TABLE IF NOT EXISTS probe_seq(seq bigint PRIMARY KEY, ts timestamptz DEFAULT now(), src text)'
    $side.Probe = Start-Logged ([IO.Path]::Combine($logs, "probe-$($side.Name).console")) "$PgHaBase/probe-$($side.Name).pid" @(
        '/usr/bin/python3', [IO.Path]::Combine($root, 'bench', 'switchover_probe.py'), $side.ProbeLog, (($side.Nodes | ForEach-Object Address) -join ','), '0.05', 'app')
}
Start-Sleep -Seconds 3

$rows = [Collections.Generic.List[object]]::new()
$importOnly = [Collections.Generic.List[object]]::new()
$loadStart = (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' '
$started = [DateTime]::UtcNow

# One switchover: $Way is repmgr, process or session.
function Invoke-Switchover([int] $Round, [string] $Way, [bool] $WithAgents = $true) {
    $side = if ($Way -eq 'repmgr') { $repmgr } else { $pgha }
    $ready = Wait-Ready $side $WithAgents
    $target = Next $side $ready.Primary
    $load = Load
    $label = "$($ready.Primary.Name)->$($target.Name)"
    $out = [IO.Path]::Combine($logs, "round$Round-$Way-$label.log")
    $reported = $null; $unavailable = $null; $steps = ''
    $t0 = Now
    $clock = [Diagnostics.Stopwatch]::StartNew()
    switch ($Way) {
        'repmgr' {
            & runuser -u postgres -- "$pgbin/repmgr" -f "$RepmgrBase/$($target.Name)/repmgr.conf" standby switchover --siblings-follow *> $out
            $rc = $LASTEXITCODE
        }
        { $_ -in 'process', 'process-tool' } {
            # Epoch milliseconds as the script starts, after the import and after the call: the process's wall time in parts.
            $command = "`$s = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds(); Import-Module '$manifest'; `$i = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds(); " +
                "`$r = Invoke-PgHaSwitchover -Name $($target.Name) -Conninfo '$($pghaConninfo -join "','")' -SshKeyFile '$($ssh.SshKeyFile)' -KnownHostsFile '$($ssh.KnownHostsFile)' -Confirm:`$false; " +
                "`$c = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds(); 'TIMES {0} {1} {2}' -f `$s, `$i, `$c; if (-not `$r.Changed) { exit 1 }; " +
                "'RESULT {0:0.000} {1:0.000} {2}' -f `$r.Duration.TotalSeconds, `$r.WriteUnavailable.TotalSeconds, ((`$r.Steps | ForEach-Object { '{0} {1:0.000}' -f `$_.Name, `$_.Duration.TotalSeconds }) -join '; ')"
            if ($Way -eq 'process') { & dotnet "$PgHaBase/pwsh/pwsh.dll" -NoProfile -NonInteractive -c $command *> $out }
            else { & dotnet pwsh -NoProfile -NonInteractive -c $command *> $out }
            $rc = $LASTEXITCODE
        }
        default {
            try {
                $r = Invoke-PgHaSwitchover -Name $target.Name -Conninfo $pghaConninfo @ssh -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
                $rc = if ($r.Changed) { 0 } else { 1 }
                $reported = $r.Duration.TotalSeconds; $unavailable = $r.WriteUnavailable.TotalSeconds
                $steps = ($r.Steps | ForEach-Object { '{0} {1:0.000}' -f $_.Name, $_.Duration.TotalSeconds }) -join '; '
                $warned | ForEach-Object { "WARNING: $_" } | Set-Content -LiteralPath $out
            }
            catch { $rc = 1; "$_" | Set-Content -LiteralPath $out }
        }
    }
    $clock.Stop()
    $t1 = Now
    $parts = $null
    if ($Way -like 'process*' -and (Get-Content -LiteralPath $out -Raw) -match '(?m)^RESULT (\S+) (\S+) (.*)$') {
        $reported = [double]$Matches[1]; $unavailable = [double]$Matches[2]; $steps = $Matches[3]
    }
    if ($Way -like 'process*' -and (Get-Content -LiteralPath $out -Raw) -match '(?m)^TIMES (\d+) (\d+) (\d+)') {
        $s = [double]$Matches[1] / 1000; $i = [double]$Matches[2] / 1000; $c = [double]$Matches[3] / 1000
        $parts = [pscustomobject]@{ Start = $s - $t0; Import = $i - $s; Call = $c - $i; Exit = $t1 - $c }
    }
    Start-Sleep -Seconds $Settle   # writes after the switchover close the gap
    $now = Primary $side
    $row = [pscustomobject]@{
        Round = $Round; Way = $Way; Move = $label; Load = $load; Agents = $ready.Agents
        Wall = $clock.Elapsed.TotalSeconds; Reported = $reported; WriteUnavailable = $unavailable
        Gap = Longest-Gap $side.ProbeLog $t0 $t1; Rc = $rc; NewPrimary = $now.Name; Steps = $steps; T0 = $t0; Parts = $parts
        Failed = $rc -ne 0 -or $now.Name -ne $target.Name
        Note = $(if ($rc -ne 0 -or $now.Name -ne $target.Name) { "FAILED (exit $rc, primary after: $($now.Name)): " + ((Get-Content -LiteralPath $out -ErrorAction SilentlyContinue | Select-Object -First 1) -replace '\|', '/') })
    }
    Write-Host ('   round {0} {1,-8} {2} load {3}, {4}: {5:0.00} s, write gap {6:0.00} s{7}{8}' -f $Round, $Way, $label, $load, $ready.Agents, $row.Wall, $row.Gap,
        $(if ($null -ne $reported) { (', reported {0:0.00} s, writes impossible {1:0.00} s' -f $reported, $unavailable) }),
        $(if ($rc -ne 0 -or $now.Name -ne $target.Name) { " FAILED (exit $rc, primary now $($now.Name)); see $out" }))
    # A failed switchover is recorded, not timed, and the run goes on: the next one waits until the cluster is whole again.
    $row
}

try {
    if ($env:PGHA_BENCH_HOLD) {
        # For looking into PgHa by hand (bench/switchover.sh with PGHA_BENCH_HOLD=<file>): the clusters, monitors and
        # probes stay up until the file is removed.
        $null = New-Item -ItemType File -Force -Path $env:PGHA_BENCH_HOLD
        "== holding until $env:PGHA_BENCH_HOLD is removed (conninfo: $($pghaConninfo -join ' / '); secret: $secret)"
        while (Test-Path -LiteralPath $env:PGHA_BENCH_HOLD) { Start-Sleep -Seconds 1 }
    }

    "== warm-up: one untimed switchover of each cluster, one untimed pwsh start"
    if (-not $PgHaOnly) { $null = Invoke-Switchover 0 repmgr }
    $null = Invoke-Switchover 0 session
    & dotnet pwsh -NoProfile -NonInteractive -c "Import-Module '$manifest'" | Out-Null
    & dotnet "$PgHaBase/pwsh/pwsh.dll" -NoProfile -NonInteractive -c "Import-Module '$manifest'" | Out-Null

    for ($round = 1; $round -le $Rounds; $round++) {
        "== round $round of $Rounds"
        $ways = if ($round % 2) { 'repmgr', 'process', 'process-tool', 'session' } else { 'session', 'process-tool', 'process', 'repmgr' }
        if ($PgHaOnly) { $ways = $ways | Where-Object { $_ -ne 'repmgr' } }
        foreach ($way in $ways) {
            if ($way -eq 'process') {
                # What starting pwsh and importing PgHa cost by themselves, right before the process's switchover: the
                # .NET tool (`dotnet pwsh`, which first resolves the local tool) and pwsh as installed (ReadyToRun).
                $load = Load
                $clock = [Diagnostics.Stopwatch]::StartNew()
                & dotnet pwsh -NoProfile -NonInteractive -c "Import-Module '$manifest'" | Out-Null
                $tool = $clock.Elapsed.TotalSeconds
                $clock.Restart()
                & dotnet "$PgHaBase/pwsh/pwsh.dll" -NoProfile -NonInteractive -c "Import-Module '$manifest'" | Out-Null
                $importOnly.Add([pscustomobject]@{ Round = $round; Load = $load; Wall = $tool; Direct = $clock.Elapsed.TotalSeconds })
            }
            $rows.Add((Invoke-Switchover $round $way))
        }
    }

    for ($i = 1; $i -le $NoMonitorRounds; $i++) {
        # Interleaved too: one in-session switchover with PgHa's monitors stopped (paused, SIGTERM, then resumed so that
        # nothing is left paused: as if none were installed), then one with them started again.
        "== PgHa with and without its monitors, $i of $NoMonitorRounds"
        $null = Suspend-PgHaMonitor -Conninfo $pghaConninfo -Confirm:$false
        foreach ($node in $pgha.Nodes) { Stop-Pid ([int](Get-Content "$PgHaBase/run/monitor-$($node.Name).pid")) }
        $null = Resume-PgHaMonitor -Conninfo $pghaConninfo -Confirm:$false -WarningAction SilentlyContinue
        $rows.Add((Invoke-Switchover $i 'session-no-monitors' $false))
        Start-Monitors
        $rows.Add((Invoke-Switchover $i 'session-monitors-restarted'))
    }
}
finally {
    $loadEnd = (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' '
    $writes = foreach ($side in $sides) {
        if ($side.Probe) { Stop-Pid $side.Probe.Id 5 }
        $acked = [Collections.Generic.HashSet[long]]::new()
        $attempts = 0
        if (Test-Path -LiteralPath $side.ProbeLog) {
            foreach ($line in Get-Content -LiteralPath $side.ProbeLog) { $attempts++; $f = $line.Split(' '); if ($f[1] -eq 'ok') { $null = $acked.Add([long]$f[2]) } }
        }
        $final = Primary $side
        $present = [Collections.Generic.HashSet[long]]::new()
        if ($final) { Sql $final.Address app 'select seq from probe_seq' | ForEach-Object { $null = $present.Add([long]$_) } }
        $lost = @($acked | Where-Object { -not $present.Contains($_) }).Count
        [pscustomobject]@{ Side = $side.Name; Attempts = $attempts; Acked = $acked.Count; Rows = $present.Count; Lost = $lost; Final = $final.Name }
    }

    function Median([double[]] $Values) {
        $s = @($Values | Sort-Object); if ($s.Count -eq 0) { return $null }
        if ($s.Count % 2) { $s[[int][Math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
    }
    function Range([double[]] $Values) { '{0:0.00} ({1:0.00}-{2:0.00})' -f (Median $Values), ($Values | Measure-Object -Minimum).Minimum, ($Values | Measure-Object -Maximum).Maximum }
    $names = @{ repmgr = 'repmgr standby switchover --siblings-follow (process)'; process = 'PgHa, `pwsh -NoProfile -c` process, pwsh as installed (ReadyToRun)'
        'process-tool' = 'PgHa, `dotnet pwsh -NoProfile -c` process (the .NET tool: JIT)'
        session = 'PgHa, call in an open pwsh session'; 'session-no-monitors' = 'PgHa, call in the session, monitors stopped (after the rounds)'
        'session-monitors-restarted' = 'PgHa, call in the session, monitors started again (alternating with the line above)' }
    $lines = [Collections.Generic.List[string]]::new()
    $lines.Add("# switchover benchmark, $($started.ToString('yyyy-MM-dd HH:mm')) UTC, commit $Commit")
    $lines.Add('')
    $lines.Add("2 cores shared with other work; load average (1/5/15 min) $loadStart at the start, $loadEnd at the end. Both clusters: 3 nodes on their own loopback addresses, port 5432, sshd on :2222, initdb defaults (fsync on), the anchor's replication settings, replication slots; repmgrd (repmgr's defaults) on repmgr's nodes, PgHa's monitors as the systemd example runs them on PgHa's. Settle $Settle s after each switchover; one 50 ms write probe per cluster all along.")
    $lines.Add('')
    $lines.Add('| Round | Way | Move | Load | Agents before | Wall s | Reported Duration s | WriteUnavailable s | Longest write gap s | Note |')
    $lines.Add('|---:|---|---|---:|---|---:|---:|---:|---:|---|')
    foreach ($r in $rows) {
        $lines.Add(('| {0} | {1} | {2} | {3} | {4} | {5:0.00} | {6} | {7} | {8:0.00} | {9} |' -f $r.Round, $r.Way, $r.Move, $r.Load, $r.Agents, $r.Wall,
            $(if ($null -ne $r.Reported) { '{0:0.00}' -f $r.Reported }), $(if ($null -ne $r.WriteUnavailable) { '{0:0.00}' -f $r.WriteUnavailable }), $r.Gap, $r.Note))
    }
    $failed = @($rows | Where-Object Failed)
    if ($failed.Count) { $lines.Add(''); $lines.Add("**$($failed.Count) of $($rows.Count) switchovers failed** (left out of the medians below; logs in bench/results/switchover-logs/).") }
    $lines.Add('')
    $lines.Add('| Way | Switchovers | Wall s, median (min-max) | Longest write gap s, median (min-max) | Load, median (min-max) |')
    $lines.Add('|---|---:|---|---|---|')
    foreach ($way in 'repmgr', 'process', 'process-tool', 'session', 'session-no-monitors', 'session-monitors-restarted') {
        $of = @($rows | Where-Object { $_.Way -eq $way -and -not $_.Failed })
        if ($of.Count) { $lines.Add(('| {0} | {1} | {2} | {3} | {4} |' -f $names[$way], $of.Count, (Range $of.Wall), (Range $of.Gap), (Range ($of.Load | ForEach-Object { [double]$_ })))) }
    }
    if ($importOnly.Count) {
        $lines.Add(('| (`pwsh -NoProfile -c "Import-Module PgHa"` alone, pwsh as installed) | {0} | {1} | | {2} |' -f $importOnly.Count, (Range $importOnly.Direct), (Range ($importOnly.Load | ForEach-Object { [double]$_ }))))
        $lines.Add(('| (the same through `dotnet pwsh`, the .NET tool) | {0} | {1} | | |' -f $importOnly.Count, (Range $importOnly.Wall)))
    }
    $pairs = @(foreach ($without in $rows | Where-Object { $_.Way -eq 'session-no-monitors' -and -not $_.Failed }) {
        $with = $rows | Where-Object { $_.Way -eq 'session-monitors-restarted' -and $_.Round -eq $without.Round -and -not $_.Failed }
        if ($with) { $with.Wall - $without.Wall }
    })
    if ($pairs.Count) {
        $lines.Add(('With the monitors running, an in-session switchover took {0:0.00} s longer than without them (median of {1} interleaved pairs; {2}).' -f
            (Median $pairs), $pairs.Count, (($pairs | ForEach-Object { '{0:+0.00;-0.00}' -f $_ }) -join ', ')))
    }
    foreach ($way in 'process', 'process-tool') {
        $procs = @($rows | Where-Object { $_.Way -eq $way -and $_.Parts -and -not $_.Failed })
        if ($procs.Count) {
            $lines.Add(('{5} in parts (medians, s): pwsh starts and runs the script {0:0.00}; Import-Module {1:0.00}; Invoke-PgHaSwitchover {2:0.00} (its own Duration {3:0.00}); exit {4:0.00}.' -f
                (Median $procs.Parts.Start), (Median $procs.Parts.Import), (Median $procs.Parts.Call), (Median ($procs | ForEach-Object Reported)), (Median $procs.Parts.Exit), $names[$way]))
        }
    }
    $lines.Add('')
    $ok = @($rows | Where-Object { -not $_.Failed })
    $rm = Median @($ok | Where-Object Way -EQ repmgr | ForEach-Object Wall)
    $rg = Median @($ok | Where-Object Way -EQ repmgr | ForEach-Object Gap)
    if ($rm) {
        $lines.Add('| Ratio of medians to repmgr | Wall | Write gap |')
        $lines.Add('|---|---:|---:|')
        foreach ($way in 'process', 'process-tool', 'session') {
            $of = @($ok | Where-Object Way -EQ $way)
            if ($of.Count) { $lines.Add(('| {0} | {1:0.00} | {2:0.00} |' -f $names[$way], ((Median $of.Wall) / $rm), ((Median $of.Gap) / $rg))) }
        }
        $lines.Add('')
    }
    foreach ($w in $writes) { $lines.Add("Writes, $($w.Side): $($w.Attempts) attempts, $($w.Acked) acknowledged, $($w.Rows) rows on the final primary $($w.Final), **$($w.Lost) acknowledged writes missing**.") }
    $lines.Add('')
    $lines.Add('PgHa steps (s) per switchover:')
    foreach ($r in $rows | Where-Object Way -NE repmgr) {
        $lines.Add("- round $($r.Round) $($r.Way) $($r.Move): $($r.Steps)" + $(if ($r.Parts) { ' (process: start {0:0.00}, import {1:0.00}, call {2:0.00}, exit {3:0.00})' -f $r.Parts.Start, $r.Parts.Import, $r.Parts.Call, $r.Parts.Exit }))
    }
    $lines | Set-Content -LiteralPath ([IO.Path]::Combine($results, 'switchover.md'))
    $rows | Select-Object Round, Way, Move, Load, Agents, Wall, Reported, WriteUnavailable, Gap, Rc, NewPrimary, T0, Failed |
        Export-Csv -LiteralPath ([IO.Path]::Combine($results, 'switchover.tsv')) -Delimiter "`t" -UseQuotes Never
    ''
    $lines
}
