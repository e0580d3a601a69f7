#Requires -Version 7.4
# What examples/demo.ps1 and examples/etcd-failover.ps1 share, dot-sourced by both: a monitor per node in a
# process of its own (as systemd runs them), stopped as systemctl stop does, and a wait with a deadline.

# A monitor in a process of its own, through the host this script runs in: pwsh, or tools/PgHa.Run (dotnet).
function Start-DemoMonitor($Node, [string] $Conninfo, [string] $Log, [string] $SecretFile) {
    $script = [System.IO.Path]::Combine($PSScriptRoot, 'demo-monitor.ps1')
    $manifest = [System.IO.Path]::ChangeExtension((Get-Module -Name PgHa).Path, '.psd1')
    # Under tools/PgHa.Run the process is dotnet and its first argument PgHa.Run.dll; under the pinned pwsh
    # (dotnet pwsh, a .NET tool) dotnet and pwsh.dll; under an installed pwsh, pwsh itself.
    $viaDotnet = [System.IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet'
    $pwshDll = $viaDotnet -and [System.IO.Path]::GetFileName([Environment]::GetCommandLineArgs()[0]) -eq 'pwsh.dll'
    $start = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    # Its console output is not wanted here (the monitor writes its log file): sh sends it to /dev/null and execs.
    foreach ($argument in @('-c', 'exec "$@" >/dev/null 2>&1', 'sh', [Environment]::ProcessPath)) { $start.ArgumentList.Add($argument) }
    if ($viaDotnet) { $start.ArgumentList.Add([Environment]::GetCommandLineArgs()[0]) }
    if (-not $viaDotnet -or $pwshDll) { $start.ArgumentList.Add('-NoProfile'); $start.ArgumentList.Add('-File') }
    foreach ($argument in @($script, $manifest, $Conninfo, $Node.Name, $Log, $SecretFile)) { $start.ArgumentList.Add($argument) }
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
        [System.Threading.Thread]::Sleep(200)
    }
}
