# Scaffolding shared by the Pester files (tests/*.Tests.ps1): importing the built module, one sandbox
# cluster shared by every file of a run, loopback addresses claimed across processes, monitors started
# for a file and stopped again, waiting for a condition with a deadline.
#
# Each file imports this module without -Force, so a run (Invoke-Pester ./tests, or
# tests/Invoke-PgHaPester.ps1 as CI runs it) keeps one copy and with it one sandbox: made by the first
# file that asks for it (about 10 s), removed by Remove-PgHaTestSandbox (the runner) or when pwsh exits.
# Needs root (the servers then run as postgres) and PostgreSQL 15 in /usr/lib/postgresql/15/bin; a
# sandbox that cannot be made fails the tests that need it (nothing is skipped for lack of a cluster).

Set-StrictMode -Version Latest

$script:SharedSandbox = $null
$script:OwnedSandboxPaths = [System.Collections.Generic.List[string]]::new()
$script:AddressClaims = [System.Collections.Generic.Dictionary[string, IO.FileStream]]::new()
$script:ExitHandlerRegistered = $false

function Import-PgHaBuiltModule {
    <# Imports output/PgHa/<version>/PgHa.psd1 into the global scope and returns its file. #>
    $manifest = Get-ChildItem "$PSScriptRoot/../output/PgHa/*/PgHa.psd1" | Select-Object -First 1
    if (-not $manifest) { throw 'No output/PgHa/<version>/PgHa.psd1: build the module first (./build.ps1 -Task Build).' }
    Import-Module $manifest.FullName -Force -Global
    $manifest
}

function Get-PgHaTestCmdletName {
    <# The cmdlets the module must export: every [Cmdlet(Verbs*.Verb, "Noun")] (or ("Verb", "Noun")) class in src/. #>
    @(Get-ChildItem -Path "$PSScriptRoot/../src" -Filter '*.cs' -Recurse -File |
            Where-Object FullName -NotMatch '[\\/](bin|obj)[\\/]' |
            Select-String -Pattern '\[Cmdlet\(\s*(?:Verbs\w+\.(?<verb>\w+)|"(?<verb>\w+)")\s*,\s*"(?<noun>\w+)"' -AllMatches |
            ForEach-Object { $_.Matches } |
            ForEach-Object { '{0}-{1}' -f $_.Groups['verb'].Value, $_.Groups['noun'].Value } |
            Sort-Object -Unique)
}

function Invoke-PgHaTestPwsh {
    <#
    Runs a script in a new pwsh process, as a runbook host, cron or Ansible would: -NoProfile -NonInteractive
    -File, no standard input. The pwsh is this one (an installed pwsh, or the pinned .NET tool started by its
    dll). -Environment sets variables for the child only (HOME, to keep PSResourceGet's files out of the
    user's); $null removes one. Returns the exit code and the output and error text.
    #>
    param(
        [Parameter(Mandatory)] [string] $File,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{}
    )
    $start = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { $start.ArgumentList.Add([Environment]::GetCommandLineArgs()[0]) }
    foreach ($argument in @('-NoProfile', '-NonInteractive', '-File', $File) + $ArgumentList) { $start.ArgumentList.Add($argument) }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    # In the script's folder (a test's TestDrive): PSResourceGet's NuGet client may leave a NuGet/NuGet.Config
    # in the working directory, which must not be the repository.
    $start.WorkingDirectory = [IO.Path]::GetDirectoryName([IO.Path]::GetFullPath($File))
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) { $null = $start.Environment.Remove($name) } else { $start.Environment[$name] = [string]$Environment[$name] }
    }
    $process = [Diagnostics.Process]::Start($start)
    $process.StandardInput.Close()
    $stderr = $process.StandardError.ReadToEndAsync()
    $stdout = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout; Error = $stderr.GetAwaiter().GetResult() }
}

function New-PgHaTestPath {
    <# A new folder name under /tmp (the postgres OS user must be able to reach it when the tests run as root). #>
    param([string] $Prefix = 'pgha-test')
    Join-Path ([IO.Path]::GetTempPath()) ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
}

function Get-PgHaTestAddressBlock {
    <#
    Claims a block 127.0.B.1-127.0.B.254 that no other test process uses and returns its first address
    (a sandbox puts its nodes on consecutive addresses from there). The xunit suites use 127.0.0.x. The
    claim is an exclusive lock file held open until this process ends; blocks with any TCP socket on them
    are skipped too.
    #>
    $lockDirectory = Join-Path ([IO.Path]::GetTempPath()) 'pgha-pester-addresses'
    $null = New-Item -ItemType Directory -Path $lockDirectory -Force
    $inUse = @(Get-Content -LiteralPath /proc/net/tcp | Select-Object -Skip 1 | ForEach-Object {
            $local = ($_.Trim() -split '\s+')[1]
            # /proc/net/tcp writes 127.0.B.x little-endian: xxBB007F.
            if ($local -match '^[0-9A-F]{2}([0-9A-F]{2})007F:') { [Convert]::ToInt32($Matches[1], 16) }
        } | Sort-Object -Unique)
    $start = Get-Random -Minimum 16 -Maximum 250
    for ($i = 0; $i -lt 234; $i++) {
        $block = 16 + (($start - 16 + $i) % 234)
        if ($block -in $inUse -or $script:AddressClaims.ContainsKey("$block")) { continue }
        try {
            $claim = [IO.FileStream]::new((Join-Path $lockDirectory "127.0.$block.lock"), 'OpenOrCreate', 'ReadWrite', 'None')
        }
        catch [IO.IOException] {
            continue
        }
        $script:AddressClaims["$block"] = $claim
        return "127.0.$block.1"
    }
    throw 'No free loopback block 127.0.16.0-127.0.249.0 for a test sandbox.'
}

function Register-PgHaTestExitHandler {
    if ($script:ExitHandlerRegistered) { return }
    $script:ExitHandlerRegistered = $true
    $module = $ExecutionContext.SessionState.Module
    $null = Register-EngineEvent -SourceIdentifier PowerShell.Exiting -Action { & $module { Remove-PgHaTestSandbox } }.GetNewClosure()
}

function Get-PgHaTestSandbox {
    <#
    The run's shared sandbox: a primary (node1), two standbys (node2, node3) and a witness, registered.
    Files that change it put it back as they found it (node1 primary, every node running and registered).
    #>
    if (-not ($script:SharedSandbox -and (Test-Path -LiteralPath $script:SharedSandbox.Path))) {
        $path = New-PgHaTestPath -Prefix 'pgha-pester-shared'
        $script:OwnedSandboxPaths.Add($path)
        Register-PgHaTestExitHandler
        $script:SharedSandbox = New-PgHaSandbox -Path $path -Witness -FirstAddress (Get-PgHaTestAddressBlock) -Confirm:$false
    }
    # The sandbox's cluster secret, for the commands that talk to its monitors, in this process, its thread
    # jobs and the pwsh processes the tests start (a file with a sandbox of its own sets its own).
    $env:PGHA_CLUSTER_SECRET_FILE = $script:SharedSandbox.SecretFile
    $script:SharedSandbox
}

function Remove-PgHaTestSandbox {
    <# Removes every sandbox this module made (the shared one included) and stops their servers. #>
    foreach ($path in @($script:OwnedSandboxPaths)) {
        if (Test-Path -LiteralPath $path) { Remove-PgHaSandbox -Path $path -Confirm:$false -ErrorAction Continue }
        $null = $script:OwnedSandboxPaths.Remove($path)
    }
    $script:SharedSandbox = $null
    $env:PGHA_CLUSTER_SECRET_FILE = $null
}

function Wait-PgHaTestCondition {
    <# Polls the condition every 250 ms until it holds ($true) or the deadline passes ($false). #>
    param([Parameter(Mandatory)] [scriptblock] $Condition, [Parameter(Mandatory)] [double] $Seconds)
    $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition)) {
        if ([datetime]::UtcNow -gt $deadline) { return $false }
        Start-Sleep -Milliseconds 250
    }
    $true
}

function Start-PgHaTestMonitor {
    <#
    Starts one Start-PgHaMonitor per node of the sandbox, each in a thread job of this process (a pwsh
    process per monitor would take tens of seconds to start on a busy machine), and waits until every one
    has checked its node. They are started paused (a primary whose monitor sees no majority of monitors yet
    would fence itself) and resumed unless -Paused. Returns the jobs for Stop-PgHaTestMonitor.
    #>
    param(
        [Parameter(Mandatory)] $Sandbox,
        [switch] $Paused,
        [int] $Seconds = 60
    )
    $manifest = [IO.Path]::ChangeExtension((Get-Module PgHa).Path, '.psd1')
    $conninfo = @($Sandbox.Nodes | ForEach-Object Conninfo)
    # Monitors do not start without the cluster secret; Suspend/Resume/Get-PgHaMonitor sign with it.
    $env:PGHA_CLUSTER_SECRET_FILE = $Sandbox.SecretFile
    Suspend-PgHaMonitor -Conninfo $conninfo -Wait 0 -Confirm:$false -WarningAction SilentlyContinue | Out-Null
    $jobs = @(foreach ($node in $Sandbox.Nodes) {
            Start-ThreadJob -Name "pgha-monitor-$($node.Name)" -ThrottleLimit 16 -ArgumentList @(
                $manifest, $node.Conninfo, $node.Name, (Join-Path $Sandbox.Path "monitor-$($node.Name).log"), $Sandbox.SecretFile) -ScriptBlock {
                param($module, $conninfo, $name, $log, $secret)
                Import-Module $module
                Start-PgHaMonitor -Conninfo $conninfo -Name $name -LogFile $log -ConnectTimeout 2 -SecretFile $secret
            }
        })
    $running = Wait-PgHaTestCondition -Seconds $Seconds -Condition {
        @(Get-PgHaMonitor -Conninfo $conninfo -ErrorAction SilentlyContinue | Where-Object { $_.Running -and $_.LastCheck }).Count -eq $Sandbox.Nodes.Count
    }
    if (-not $running) {
        $output = ($jobs | Receive-Job -Keep 2>&1) -join "`n"
        Stop-PgHaTestMonitor -Sandbox $Sandbox -Job $jobs
        throw "The monitors of $($Sandbox.Path) did not all run within $Seconds s: $output"
    }
    if (-not $Paused) { Resume-PgHaMonitor -Conninfo $conninfo -Confirm:$false -WarningAction SilentlyContinue | Out-Null }
    $jobs
}

function Stop-PgHaTestMonitor {
    <#
    Pauses the sandbox's monitors (so none acts while the others stop), stops their jobs, and clears the
    pause recorded in the metadata again: a paused cluster is not Healthy, and the next file expects the
    sandbox as it was made.
    #>
    param([Parameter(Mandatory)] $Sandbox, [object[]] $Job)
    $conninfo = @($Sandbox.Nodes | ForEach-Object Conninfo)
    Suspend-PgHaMonitor -Conninfo $conninfo -Wait 0 -Confirm:$false -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Out-Null
    if ($Job) {
        $Job | Stop-Job
        $Job | Remove-Job -Force
    }
    Resume-PgHaMonitor -Conninfo $conninfo -Wait 0 -Confirm:$false -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Out-Null
}

Export-ModuleMember -Function Import-PgHaBuiltModule, Get-PgHaTestCmdletName, Invoke-PgHaTestPwsh, New-PgHaTestPath, Get-PgHaTestAddressBlock, Get-PgHaTestSandbox,
    Remove-PgHaTestSandbox, Wait-PgHaTestCondition, Start-PgHaTestMonitor, Stop-PgHaTestMonitor
