#Requires -Version 7.4
# What examples/demo.ps1 and examples/etcd-failover.ps1 share, dot-sourced by both: a monitor per node in a
# process of its own (as systemd runs them), stopped as systemctl stop does, and a wait with a deadline.

# A monitor in a pwsh process of its own: this pwsh again, an installed one (pwsh) or the pinned .NET tool,
# started by its dll (dotnet pwsh.dll) so that the process started is the monitor's and SIGTERM reaches it.
function Start-DemoMonitor($Node, [string] $Conninfo, [string] $Log, [string] $SecretFile) {
    $script = Join-Path $PSScriptRoot 'demo-monitor.ps1'
    $manifest = [System.IO.Path]::ChangeExtension((Get-Module -Name PgHa).Path, '.psd1')
    $start = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    # Its console output is not wanted here (the monitor writes its log file): sh sends it to /dev/null and execs.
    foreach ($argument in @('-c', 'exec "$@" >/dev/null 2>&1', 'sh', [Environment]::ProcessPath)) { $start.ArgumentList.Add($argument) }
    if ([System.IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { $start.ArgumentList.Add([Environment]::GetCommandLineArgs()[0]) }
    foreach ($argument in @('-NoProfile', '-File', $script, $manifest, $Conninfo, $Node.Name, $Log, $SecretFile)) { $start.ArgumentList.Add($argument) }
    [System.Diagnostics.Process]::Start($start)
}

# SIGTERM, as systemctl stop sends: the monitor ends cleanly between two checks.
function Stop-DemoMonitor([System.Diagnostics.Process] $Process) {
    if (-not $Process.HasExited) {
        & /bin/kill -TERM $Process.Id
        if (-not $Process.WaitForExit(15000)) { $Process.Kill() }
    }
}

function Wait-Until([int] $Seconds, [string] $What, [scriptblock] $Condition) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Gave up waiting for $What after $Seconds s." }
        Start-Sleep -Milliseconds 200
    }
}
