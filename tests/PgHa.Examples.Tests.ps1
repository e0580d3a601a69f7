#Requires -Version 7.4
# Pester 5 tests that make the help's examples evidence: every example block of docs/en-US/*-PgHa*.md
# is placed in $plan below, and each one not excluded there (with its reason) runs against the run's
# shared sandbox (tests/PgHaTestSupport.psm1: node1 primary, node2 and node3 standbys, a witness) and must
# end without an error and with exit code 0, run as a script file with $ErrorActionPreference = 'Stop' (so
# an example's `exit N` ends that file only and sets $LASTEXITCODE). The plan must place every example, and
# at least 60 of the 89 run (62 do): a new example is run here or excluded with its reason.
#
# How an example is made to run here:
#   - The examples name their nodes pg1, pg2, pg3 at 'host=pgN ...': those become the sandbox's node1,
#     node2, node3 and their conninfos; a pgN the sandbox lacks (pg4, pg5) gets an address of the
#     sandbox's block where nothing listens. $ci is the sandbox's conninfo and $sb the sandbox where an
#     example uses them without setting them; $cred is a credential for the sandbox's user (its servers
#     trust loopback, so the password is not checked); Send-Alert stands for "whatever pages you".
#   - Mode Run runs it as written; Mode WhatIf runs it with $WhatIfPreference = $true, so every cmdlet that
#     changes something makes its checks and says what it would do instead (the state-changing examples
#     the sandbox cannot undo cheaply: switchovers, clones, a stop or restart of the primary).
#   - Replace swaps text of the example before that (a file the example reads, a folder it writes to);
#     Before runs first (a standby stopped for an example that starts it); Restore starts the nodes that are
#     down afterwards and waits until both standbys stream, so the next file finds the sandbox as made.
#   - ExpectError: the example shows a refusal; it must fail with that error id (and changes nothing).
#   - Output: a regex the example's output (objects formatted, and what it writes with Write-Host) matches.
#   - Monitors: runs in the second Describe, where the sandbox's monitors run (started paused), in the
#     order of the plan.
# Start-Sleep is bounded (60 calls per example), so an example that waits for a state cannot hang the run.

BeforeDiscovery {
    # Runs in this order: what reads or only checks (-WhatIf) first, then the examples that stop and start
    # servers (in a sequence: one example's stopped node is the next one's node to start), then those
    # that need the monitors (paused at first, resumed by the Resume examples).
    $plan = [ordered]@{
        'Get-PgHaCluster #1'       = @{ Mode = 'Run' }
        'Get-PgHaCluster #2'       = @{ Mode = 'Run' }
        'Get-PgHaCluster #3'       = @{ Mode = 'Run' }
        'Get-PgHaCluster #5'       = @{ Exclude = 'prompts for the etcd password (Get-Credential) and reads the leader key of an etcd cluster; the shared sandbox decides by the built-in quorum (tests/PgHa.Tests/Etcd reads the leader key)' }
        'Get-PgHaEvent #1'         = @{ Mode = 'Run' }
        'Get-PgHaEvent #2'         = @{ Mode = 'Run'; Output = 'standby_register' }
        'Get-PgHaEvent #3'         = @{ Mode = 'Run'; Output = 'node2' }
        'Get-PgHaEvent #4'         = @{ Mode = 'Run' }
        'Get-PgHaNode #1'          = @{ Mode = 'Run'; Output = 'node3' }
        'Get-PgHaNode #2'          = @{ Mode = 'Run'; Output = 'node3' }
        'Get-PgHaNode #3'          = @{ Mode = 'Run' }
        'Import-PgHaConfig #1'     = @{ Mode = 'Run'; Before = 'New-ExampleConfigFile'; Replace = @{ '/etc/repmgr/12/repmgr.conf' = '$work/repmgr.conf' }; Output = 'node1' }
        'Import-PgHaConfig #2'     = @{ Mode = 'Run'; Before = 'New-ExampleConfigFile'; Replace = @{ '/etc/pgha/*.psd1' = '$work/pgha/*.psd1' }; Output = 'node3' }
        'Invoke-PgHaFollow #1'     = @{ Mode = 'WhatIf' }
        'Invoke-PgHaFollow #2'     = @{ Mode = 'WhatIf' }
        'Invoke-PgHaFollow #3'     = @{ Mode = 'Run' }
        'Invoke-PgHaPromote #1'    = @{ Exclude = 'promotes node2 after the primary failed: the shared sandbox''s primary runs, so even -WhatIf stops at PgHaPrimaryStillRunning (Examples 2 and 3 run here); Invoke-PgHaPromote.Tests.ps1 fails over a sandbox of its own' }
        'Invoke-PgHaPromote #2'    = @{ Mode = 'Run'; ExpectError = 'PgHaPrimaryStillRunning' }
        'Invoke-PgHaPromote #3'    = @{ Mode = 'Run'; Output = 'PgHaPrimaryStillRunning,PgHa.Cmdlets.InvokePgHaPromoteCommand' }
        'Invoke-PgHaRejoin #1'     = @{ Exclude = 'rejoins node1 after a failover to node2 (node1 stopped, node2 promoted); the shared sandbox has not failed over; Invoke-PgHaRejoin.Tests.ps1 fails over a sandbox of its own' }
        'Invoke-PgHaRejoin #2'     = @{ Exclude = 'decides on node1 stopped after a failover to node2; the shared sandbox''s node1 is its running primary' }
        'Invoke-PgHaRejoin #3'     = @{ Exclude = 'rewinds node1 diverged after a failover to node2; the shared sandbox has not failed over' }
        'Invoke-PgHaRejoin #4'     = @{ Exclude = 'repeats Example 1, after a failover to node2' }
        'Invoke-PgHaSwitchover #1' = @{ Mode = 'WhatIf' }
        'Invoke-PgHaSwitchover #2' = @{ Mode = 'WhatIf' }
        'Invoke-PgHaSwitchover #3' = @{ Mode = 'Run' }
        'Invoke-PgHaSwitchover #4' = @{ Mode = 'WhatIf' }
        'Invoke-PgHaSwitchover #5' = @{ Mode = 'WhatIf' }
        'New-PgHaSandbox #1'       = @{ Mode = 'Run'; Replace = @{ '$sb = New-PgHaSandbox' = '$sb = $sandbox' }; Output = 'node3' }
        'New-PgHaSandbox #2'       = @{ Exclude = 'makes a sandbox of six servers in /srv/pgha-sandbox (20 s or more); New-PgHaSandbox.Tests.ps1 makes sandboxes with -Nodes and -Witness' }
        'New-PgHaSandbox #3'       = @{ Exclude = 'makes a sandbox of its own and reads the row on the standby after a fixed 200 ms, which a loaded machine''s replay can exceed; New-PgHaSandbox.Tests.ps1 checks that the standbys stream' }
        'New-PgHaSandbox #4'       = @{ Exclude = 'makes a sandbox with three etcd members (tests/PgHa.Tests/Etcd makes them)' }
        'New-PgHaSandbox #5'       = @{ Exclude = 'removes the sandbox: here that would be the shared one; Remove-PgHaSandbox.Tests.ps1 removes sandboxes of its own' }
        'New-PgHaStandby #1'       = @{ Mode = 'WhatIf'; Replace = @{ '/var/lib/postgresql/15/main' = '$work/pgdata' } }
        'New-PgHaStandby #2'       = @{ Mode = 'Run'; Replace = @{ '/var/lib/postgresql/15/main' = '$work/pgdata' }; Output = 'TargetDirectory' }
        'New-PgHaStandby #3'       = @{ Mode = 'WhatIf'; Replace = @{ '/var/lib/postgresql/15/main' = '$work/pgdata' } }
        'New-PgHaStandby #4'       = @{ Mode = 'WhatIf'; Replace = @{ '/var/lib/postgresql/15/main' = '$work/pgdata' } }
        'New-PgHaStandby #5'       = @{ Exclude = 'clones onto the SSH host pg5.example.net; the sandbox has no SSH host (tests/PgHa.Tests/Clone clones over SSH to a test sshd)' }
        'Register-PgHaNode #1'     = @{ Exclude = 'registers pg1 and pg2 for the first time; the sandbox''s nodes are registered already, with data directories that this command line would clear (refused without -Force); Register-PgHaNode.Tests.ps1 registers a fresh cluster' }
        'Register-PgHaNode #2'     = @{ Exclude = 'a dry run of a first registration of pg3; the sandbox''s node3 is registered already, with a data directory that this command line would clear (refused without -Force)' }
        'Register-PgHaNode #3'     = @{ Exclude = 'repeats the first registration of pg2 made by the same command line; the sandbox registered node2 with its data directory, which this one would clear (refused without -Force); tests/PgHa.Runbook.Tests.ps1 runs an idempotent registration twice' }
        'Register-PgHaNode #4'     = @{ Exclude = 'registers a witness under another name and id, then pg2 as primary after a manual promotion (refused while pg1 runs); the shared sandbox has its witness and has not failed over' }
        'Remove-PgHaSandbox #1'    = @{ Exclude = 'makes a sandbox and removes it (10 s or more); Remove-PgHaSandbox.Tests.ps1 removes sandboxes of its own' }
        'Remove-PgHaSandbox #2'    = @{ Exclude = 'removes a sandbox made earlier in /srv/pgha-sandbox; Remove-PgHaSandbox.Tests.ps1 removes one by its folder' }
        'Remove-PgHaSandbox #3'    = @{ Mode = 'Run' }
        'Remove-PgHaSandbox #4'    = @{ Mode = 'Run'; ExpectError = 'PgHaSandboxNotFound' }
        'Set-PgHaConsensus #1'     = @{ Exclude = 'hands the elections to an etcd cluster at 10.0.0.1-3; the sandbox has none (tests/PgHa.Tests/Etcd switches a cluster to etcd)' }
        'Set-PgHaConsensus #2'     = @{ Exclude = 'etcd over TLS with certificate files in /etc/pgha and a password prompt (Get-Credential)' }
        'Start-PgHaMonitor #1'     = @{ Exclude = 'runs a monitor in the foreground until Ctrl+C, logging to /var/log/pgha; Start-PgHaMonitor.Tests.ps1 runs monitors' }
        'Start-PgHaMonitor #2'     = @{ Exclude = 'runs a monitor in the foreground from /etc/repmgr/12/repmgr.conf until Ctrl+C' }
        'Start-PgHaMonitor #4'     = @{ Exclude = 'makes a sandbox of its own and starts a pwsh process (Start-Job) per monitor: tens of seconds; the monitors here run as thread jobs (Start-PgHaTestMonitor)' }
        'Start-PgHaMonitor #5'     = @{ Exclude = 'runs a monitor in the foreground from /etc/pgha/pg2.psd1 until Ctrl+C, paging through /usr/local/bin/page-dba' }
        'Start-PgHaMonitor #6'     = @{ Exclude = 'runs a monitor in the foreground from /etc/pgha/pg2.psd1 with a certificate in /etc/pgha, and curl to https://pg2:8008' }
        'Start-PgHaNode #3'        = @{ Exclude = 'starts a server over SSH on the host pg3; the sandbox has no SSH host (tests/PgHa.Tests/NodeService runs pg_ctl over SSH)' }
        'Test-PgHaCluster #2'      = @{ Exclude = 'a Pester Describe block of its own: Pester 5 does not run a Describe inside this file''s It' }
        'Test-PgHaCluster #6'      = @{ Exclude = 'ends the script with exit (a scheduled task''s exit code); Test-PgHaCluster.Tests.ps1 runs it as a script file and checks the exit codes' }
        'Test-PgHaNode #1'         = @{ Mode = 'Run'; Output = 'Connection' }
        'Test-PgHaNode #2'         = @{ Mode = 'Run' }
        'Test-PgHaNode #3'         = @{ Mode = 'Run'; Output = 'ReplicationLag' }
        'Test-PgHaNode #4'         = @{ Mode = 'Run' }
        'Test-PgHaNode #5'         = @{ Exclude = 'starts a second pwsh that imports PgHa by name (installed); tests/PgHa.Tests/Checks/CheckTests.cs runs examples/check_pgha.ps1 against a cluster' }
        'Unregister-PgHaNode #1'   = @{ Mode = 'Run'; ExpectError = 'PgHaNodeStillActive' }
        'Unregister-PgHaNode #3'   = @{ Mode = 'WhatIf' }
        'Unregister-PgHaNode #4'   = @{ Mode = 'Run' }

        # The primary stopped or restarted: checked only (the real stop of the primary with -Force
        # -Confirm:$false is PgHa.Runbook.Tests.ps1's; its standbys take seconds to stream again).
        'Restart-PgHaNode #2'      = @{ Mode = 'WhatIf' }
        'Stop-PgHaNode #2'         = @{ Mode = 'WhatIf' }

        # Standbys stopped and started, in this order: node2 stopped, started, stopped again; node3 taken
        # out of service (stopped) for the two examples that remove such a node; both started by the
        # example that starts every node that is down; node2 restarted.
        'Stop-PgHaNode #1'         = @{ Mode = 'Run'; Output = 'node2' }
        'Start-PgHaNode #1'        = @{ Mode = 'Run'; Before = 'Stop-ExampleNode node2'; Output = 'node2' }
        'Stop-PgHaNode #3'         = @{ Mode = 'Run'; Replace = @{ '/var/lib/postgresql/15/main' = '$node2.DataDirectory' } }
        'Get-PgHaNode #4'          = @{ Mode = 'Run'; Before = 'Stop-ExampleNode node3' }
        'Unregister-PgHaNode #2'   = @{ Mode = 'WhatIf'; Before = 'Stop-ExampleNode node3' }
        'Start-PgHaNode #2'        = @{ Mode = 'Run'; Before = 'Stop-ExampleNode node2, node3'; Restore = $true; Output = '(?s)node2.*node3' }
        'Restart-PgHaNode #1'      = @{ Mode = 'Run'; Output = 'node2' }

        # With the monitors running (started paused).
        'Get-PgHaMonitor #3'       = @{ Mode = 'Run'; Monitors = $true }
        'Get-PgHaMonitor #1'       = @{ Mode = 'Run'; Monitors = $true; Output = 'running' }
        'Get-PgHaMonitor #4'       = @{ Mode = 'Run'; Monitors = $true; Output = 'node2' }
        'Suspend-PgHaMonitor #3'   = @{ Mode = 'Run'; Monitors = $true }
        'Suspend-PgHaMonitor #1'   = @{ Mode = 'Run'; Monitors = $true }
        'Suspend-PgHaMonitor #2'   = @{ Mode = 'Run'; Monitors = $true }
        'Set-PgHaConsensus #3'     = @{ Mode = 'Run'; Monitors = $true }
        'Start-PgHaMonitor #3'     = @{ Mode = 'Run'; Monitors = $true }
        'Resume-PgHaMonitor #1'    = @{ Mode = 'Run'; Monitors = $true }
        'Resume-PgHaMonitor #2'    = @{ Mode = 'Run'; Monitors = $true }
        'Set-PgHaConsensus #4'     = @{ Mode = 'Run'; Monitors = $true; ExpectError = 'PgHaConsensusNotPaused' }
        'Get-PgHaMonitor #2'       = @{ Mode = 'Run'; Monitors = $true }
        'Test-PgHaCluster #1'      = @{ Mode = 'Run'; Monitors = $true }
        'Test-PgHaCluster #3'      = @{ Mode = 'Run'; Monitors = $true; Replace = @{ '$sb = New-PgHaSandbox' = '$sb = $sandbox' } }
        'Test-PgHaCluster #4'      = @{ Mode = 'Run'; Monitors = $true; Output = 'Peer' }
        'Test-PgHaCluster #5'      = @{ Mode = 'Run'; Monitors = $true; Output = 'From' }
        'Get-PgHaCluster #4'       = @{ Mode = 'Run'; Monitors = $true; Output = '"Healthy": true' }
    }

    # Every example block of the cmdlet pages, numbered as on its page.
    $examples = foreach ($page in Get-ChildItem -Path "$PSScriptRoot/../docs/en-US" -Filter '*-PgHa*.md' -File | Sort-Object Name) {
        $text = (Get-Content -LiteralPath $page.FullName -Raw) -replace "`r`n", "`n"
        $section = [regex]::Match($text, '(?s)## EXAMPLES(.*?)\n## PARAMETERS').Groups[1].Value
        $number = 0
        foreach ($example in [regex]::Matches($section, '(?s)### (?<title>[^\n]+)\n```powershell\n(?<code>.*?)\n```')) {
            $number++
            $key = "$($page.BaseName) #$number"
            $how = if ($plan.Contains($key)) { $plan[$key] } else { @{} }
            @{
                Key         = $key
                Title       = $example.Groups['title'].Value
                Code        = $example.Groups['code'].Value
                Placed      = $plan.Contains($key)
                Exclude     = $how['Exclude']
                Mode        = $how['Mode']
                Replace     = if ($how['Replace']) { $how['Replace'] } else { @{} }
                Before      = $how['Before']
                Restore     = [bool]$how['Restore']
                ExpectError = $how['ExpectError']
                Output      = $how['Output']
                Monitors    = [bool]$how['Monitors']
            }
        }
    }
    $examples = @($examples)
    $planned = @($plan.Keys)
    $runnable = @($examples | Where-Object { $_.Placed -and -not $_.Exclude })
    # Run in the plan's order (the monitors' examples pause and resume them in turn).
    $withoutMonitors = @($planned | ForEach-Object { $k = $_; $runnable | Where-Object { $_.Key -eq $k -and -not $_.Monitors } })
    $withMonitors = @($planned | ForEach-Object { $k = $_; $runnable | Where-Object { $_.Key -eq $k -and $_.Monitors } })
}

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule

    # What each example may use without setting it, and the text changes that put it on the sandbox.
    # Dot-sourced (. Initialize-ExampleScope) in a Describe's BeforeAll: its variables are the Describe's.
    function Initialize-ExampleScope {
        $sandbox = Get-PgHaTestSandbox
        $conninfoOf = @{}
        foreach ($node in $sandbox.Nodes) { $conninfoOf[$node.Name] = $node.Conninfo }
        $allConninfo = @($sandbox.Nodes | ForEach-Object Conninfo)
        $node2 = $sandbox.Nodes | Where-Object Name -eq node2
        # A pgN the sandbox lacks: an address of its block past its nodes, where nothing listens.
        $blockPrefix = ([regex]::Match($conninfoOf['node1'], 'host=(\d+\.\d+\.\d+)\.')).Groups[1].Value
    }

    function ConvertTo-SandboxExample([string] $Code) {
        # 'host=pg2 port=5432 user=pgha dbname=pgha' (any keywords after host) -> node2's conninfo.
        $Code = [regex]::Replace($Code, "(['`"])host=pg(\d)\b[^'`"]*\1", {
                param($m)
                $name = "node$($m.Groups[2].Value)"
                $conninfo = if ($conninfoOf.ContainsKey($name)) { $conninfoOf[$name] } else { "host=$blockPrefix.$(200 + [int]$m.Groups[2].Value) port=5432 user=postgres dbname=pgha connect_timeout=2" }
                "'" + $conninfo + "'"
            })
        $Code = [regex]::Replace($Code, '\bpg(\d)\b', 'node$1')
        $Code -replace "'pg\*'", "'node*'"
    }

    # A repmgr.conf for node1 and a PgHa node file per node of the sandbox (node3 never promoted), for the
    # Import-PgHaConfig examples.
    function New-ExampleConfigFile {
        Set-Content -LiteralPath (Join-Path $work 'repmgr.conf') -Value @"
node_id=1
node_name='node1'
conninfo='$($conninfoOf['node1'])'
data_directory='$(($sandbox.Nodes | Where-Object Name -eq node1).DataDirectory)'
"@
        $null = New-Item -ItemType Directory -Path (Join-Path $work 'pgha')
        $id = 0
        foreach ($node in $sandbox.Nodes | Where-Object Role -ne Witness) {
            $id++
            Set-Content -LiteralPath (Join-Path $work "pgha/$($node.Name).psd1") -Value @"
@{
    NodeId        = $id
    NodeName      = '$($node.Name)'
    Conninfo      = '$($node.Conninfo)'
    DataDirectory = '$($node.DataDirectory)'
    Priority      = $(if ($node.Name -eq 'node3') { 0 } else { 100 })
}
"@
        }
    }

    function Stop-ExampleNode([string[]] $Name) {
        $stopped = @(Stop-PgHaNode -Conninfo $allConninfo -Name $Name -Confirm:$false)
        if ($stopped.Count -ne $Name.Count -or ($stopped | Where-Object IsRunning)) { throw "$($Name -join ', ') did not stop before the example." }
    }

    # Every server running again and both standbys streaming from node1, as the sandbox was made.
    function Restore-ExampleSandbox {
        $nodes = @(Get-PgHaNode -Conninfo $allConninfo -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        $down = if ($nodes) { @($nodes | Where-Object Status -ne 'Running' | ForEach-Object Name) } else { @($sandbox.Nodes | ForEach-Object Name) }
        if ($down) { $null = Start-PgHaNode -Conninfo $allConninfo -Name $down -Confirm:$false }
        $streaming = Wait-PgHaTestCondition -Seconds 60 -Condition {
            $nodes = @(Get-PgHaNode -Conninfo $allConninfo -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
            @($nodes | Where-Object { $_.Role -eq 'Primary' -and $_.Name -eq 'node1' -and $_.Status -eq 'Running' }).Count -eq 1 -and
            @($nodes | Where-Object { $_.Role -eq 'Standby' -and $_.AttachedToUpstream }).Count -eq 2
        }
        if (-not $streaming) { throw 'The sandbox is not back as it was made (node1 primary, node2 and node3 streaming) within 60 s.' }
    }

    # The example as it runs here: its replacements made, its names put on the sandbox.
    function Get-ExampleCode([hashtable] $Example) {
        $code = $Example.Code
        foreach ($text in $Example.Replace.Keys) { $code = $code.Replace($text, $Example.Replace[$text]) }
        ConvertTo-SandboxExample $code
    }

    # Runs it as a script file in its folder ($work); returns its output as text.
    function Invoke-Example([hashtable] $Example, [string] $Code) {
        $prelude = "`$ErrorActionPreference = 'Stop'"
        if ($Example.Mode -eq 'WhatIf') { $prelude += "`n`$WhatIfPreference = `$true" }
        $file = Join-Path $work 'example.ps1'
        Set-Content -LiteralPath $file -Value ($prelude + "`n" + $Code)
        $global:LASTEXITCODE = 0
        # Warnings and the host's What if lines are not the output checked here.
        & $file 3>$null 6>&1 | Out-String -Width 250
    }

    # The examples' own names for what they leave to the reader.
    $cred = [pscredential]::new('postgres', (ConvertTo-SecureString -String 'not-checked' -AsPlainText -Force))
    function Send-Alert([string] $Message) { "alert: $Message" }
    # An example that waits for a state sleeps in a loop: 60 sleeps, and it is stopped.
    $sleeps = @{ Count = 0 }
    function Start-Sleep {
        if (++$sleeps.Count -gt 60) { throw 'The example waited 60 times for its condition.' }
        Microsoft.PowerShell.Utility\Start-Sleep @args
    }

    function Test-Example([hashtable] $Example) {
        $work = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $work
        $sleeps.Count = 0
        $ci = $sandbox.Conninfo
        $sb = $sandbox
        Push-Location -LiteralPath $work
        try {
            if ($Example.Before) { . ([scriptblock]::Create($Example.Before)) }
            $code = Get-ExampleCode $Example
            $output = $null
            $failure = $null
            try { $output = Invoke-Example $Example $code } catch { $failure = $_ }
            if ($Example.ExpectError) {
                $failure | Should -Not -BeNullOrEmpty -Because "the example should be refused with $($Example.ExpectError); it ran as:`n$code"
                $failure.FullyQualifiedErrorId | Should -BeLike "$($Example.ExpectError),*" -Because "it ran as:`n$code`nand failed with: $failure"
                return
            }
            $failure | Should -BeNullOrEmpty -Because "the example ran as:`n$code`nand failed with: $failure"
            $LASTEXITCODE | Should -Be 0 -Because "the example's exit code; it ran as:`n$code`nand wrote:`n$output"
            if ($Example.Output) {
                $output | Should -Match $Example.Output -Because "it ran as:`n$code"
            }
        }
        finally {
            Pop-Location
            if ($Example.Restore) { Restore-ExampleSandbox }
        }
    }
}

Describe 'The help examples' -Tag UnitTests {
    It 'places every example of docs/en-US in the plan (<Count> examples)' -ForEach @{ Count = $examples.Count } {
        @($examples | Where-Object { -not $_.Placed } | ForEach-Object Key) | Should -BeNullOrEmpty -Because 'a new example must be run here or excluded with its reason'
        @($planned | Where-Object { $_ -notin $examples.Key }) | Should -BeNullOrEmpty -Because 'the plan names no example that is gone'
        $Count | Should -BeGreaterOrEqual 85
    }

    It 'runs at least 60 of them (<Count> run)' -ForEach @{ Count = $runnable.Count } {
        $Count | Should -BeGreaterOrEqual 60
    }

    It 'gives a mode to every example it runs and a reason for every one it does not' {
        @($examples | Where-Object { $_.Placed -and -not $_.Exclude -and $_.Mode -notin 'Run', 'WhatIf' } | ForEach-Object Key) | Should -BeNullOrEmpty
        @($examples | Where-Object { $_.Exclude -and $_.Exclude.Length -lt 20 } | ForEach-Object Key) | Should -BeNullOrEmpty
    }
}

Describe 'The help examples against a sandbox' -Tag Integration {
    BeforeAll {
        . Initialize-ExampleScope
    }

    AfterAll {
        Restore-ExampleSandbox
    }

    It '<Key>: <Title>' -ForEach $withoutMonitors {
        Test-Example $_
    }
}

Describe 'The help examples against a sandbox whose monitors run' -Tag Integration {
    BeforeAll {
        . Initialize-ExampleScope
        $jobs = Start-PgHaTestMonitor -Sandbox $sandbox -Paused
    }

    AfterAll {
        Stop-PgHaTestMonitor -Sandbox $sandbox -Job $jobs
    }

    It '<Key>: <Title>' -ForEach $withMonitors {
        Test-Example $_
    }
}
