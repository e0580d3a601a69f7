#Requires -Version 7.4
# Pester 5 tests of PgHa in runbooks and scheduled tasks: scripts run as `pwsh -NoProfile -NonInteractive
# -File`, with no standard input, the way Ansible (ansible.builtin.command, win_powershell), Azure
# Automation and cron run them, against the run's shared sandbox (tests/PgHaTestSupport.psm1).
#   - nothing prompts under -Confirm:$false (a prompt in -NonInteractive is an error, never a hang);
#   - a terminating error ends the script with a non-zero exit code and the ErrorId on stderr;
#   - output converted with ConvertTo-Json -Depth 5 parses and holds no password, even one given in a conninfo;
#   - the same idempotent script run a second time reports Changed = $false throughout;
#   - the primary stops unattended with -Force -Confirm:$false, and without -Force is refused, not prompted for.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'PgHa in a runbook (pwsh -NonInteractive -File)' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $secret = 'runbook-secret-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $node2 = $sandbox.Nodes | Where-Object Name -eq node2
        $node3 = $sandbox.Nodes | Where-Object Name -eq node3

        # "node3 cascades from node2, every node runs, node2 is registered as it is": High and Medium impact
        # cmdlets with -Confirm:$false, a conninfo with a password (the sandbox trusts loopback, so it is
        # accepted and ignored), one JSON document out.
        $runbook = Join-Path $TestDrive 'ensure-cascade.ps1'
        Set-Content -LiteralPath $runbook -Value @'
param([string] $Manifest, [string] $Conninfo, [string] $Node2Conninfo, [string] $Node2DataDirectory)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
$results = @(
    Invoke-PgHaFollow -Conninfo $Conninfo -Name node3 -Upstream node2 -Confirm:$false
    Get-PgHaNode -Conninfo $Conninfo | Start-PgHaNode -Confirm:$false
    Register-PgHaNode -Role Standby -Name node2 -Id 2 -Conninfo $Node2Conninfo -DataDirectory $Node2DataDirectory -PgBinDir /usr/lib/postgresql/15/bin -Confirm:$false
    Invoke-PgHaSwitchover -Conninfo $Conninfo -Name node1 -Confirm:$false
)
[pscustomobject]@{
    Changed = [bool]($results | Where-Object Changed)
    Results = $results
    Cluster = Get-PgHaCluster -Conninfo $Conninfo -WarningAction SilentlyContinue
} | ConvertTo-Json -Depth 5 -WarningAction SilentlyContinue
'@
        $arguments = @($manifest.FullName, "$($sandbox.Conninfo) password=$secret", $node2.Conninfo, $node2.DataDirectory)
        $first = Invoke-PgHaTestPwsh -File $runbook -ArgumentList $arguments
        $second = Invoke-PgHaTestPwsh -File $runbook -ArgumentList $arguments
        $firstJson = if ($first.ExitCode -eq 0) { $first.Output | ConvertFrom-Json } else { $null }
        $secondJson = if ($second.ExitCode -eq 0) { $second.Output | ConvertFrom-Json } else { $null }
    }

    AfterAll {
        # node3 back on the primary, as the shared sandbox was made.
        Invoke-PgHaFollow -Conninfo $sandbox.Conninfo -Name node3 -Confirm:$false | Out-Null
    }

    It 'runs to the end without a prompt and exits 0' {
        $first.ExitCode | Should -Be 0 -Because $first.Error
        $second.ExitCode | Should -Be 0 -Because $second.Error
    }

    It 'writes JSON that parses, with the change made on the first run' {
        $firstJson.Changed | Should -BeTrue
        ($firstJson.Results | Where-Object { $_.UpstreamAfter -eq 'node2' }) | Should -Not -BeNullOrEmpty
        $firstJson.Cluster.Primary | Should -Be 'node1'
    }

    It 'holds no password in its output, not even the one given in the conninfo' {
        $first.Output | Should -Not -Match ([regex]::Escape($secret))
        $first.Output | Should -Not -Match 'password'
        $first.Error | Should -Not -Match ([regex]::Escape($secret))
    }

    It 'reports Changed = $false throughout on the second run' {
        $secondJson.Changed | Should -BeFalse
        @($secondJson.Results | Where-Object Changed) | Should -BeNullOrEmpty
        @($secondJson.Results).Count | Should -Be @($firstJson.Results).Count
    }

    It 'exits non-zero with the ErrorId on stderr when a cmdlet fails terminally' {
        $failing = Join-Path $TestDrive 'unreachable.ps1'
        Set-Content -LiteralPath $failing -Value @'
param([string] $Manifest)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
Get-PgHaCluster -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -ConnectTimeout 2
'not reached'
'@
        $run = Invoke-PgHaTestPwsh -File $failing -ArgumentList $manifest.FullName
        $run.ExitCode | Should -Not -Be 0
        $run.Output | Should -Not -Match 'not reached'
        $run.Error | Should -Match 'Cannot connect'
    }

    It 'fails, rather than waits, where a High impact cmdlet would prompt without -Confirm:$false' {
        $prompting = Join-Path $TestDrive 'prompting.ps1'
        Set-Content -LiteralPath $prompting -Value @'
param([string] $Manifest, [string] $Conninfo)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
Unregister-PgHaNode -Conninfo $Conninfo -Name node3 -Force
'@
        $run = Invoke-PgHaTestPwsh -File $prompting -ArgumentList $manifest.FullName, $sandbox.Conninfo
        $run.ExitCode | Should -Not -Be 0
        $run.Error | Should -Match 'NonInteractive'
        Get-PgHaNode -Conninfo $sandbox.Conninfo -Name node3 | Should -Not -BeNullOrEmpty
    }
}

Describe 'Stopping the primary from a runbook (Stop-PgHaNode -Force -Confirm:$false)' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $node1 = $sandbox.Nodes | Where-Object Name -eq node1
        $node2 = $sandbox.Nodes | Where-Object Name -eq node2
        $allConninfo = @($sandbox.Nodes | ForEach-Object Conninfo)

        # Stop-PgHaNode's help, Example 2: without -Force the call fails in a non-interactive session and
        # changes nothing; with it the primary stops without a question. Then it is started again. The
        # metadata is read through node2 when node1 is down.
        $runbook = Join-Path $TestDrive 'stop-primary.ps1'
        Set-Content -LiteralPath $runbook -Value @'
param([string] $Manifest, [string] $PrimaryConninfo, [string] $StandbyConninfo)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
$ci = $PrimaryConninfo, $StandbyConninfo
$refused = $null
try { Stop-PgHaNode -Conninfo $ci -Name node1 -Confirm:$false } catch { $refused = $_.FullyQualifiedErrorId }
$stopped = Stop-PgHaNode -Conninfo $ci -Name node1 -Force -Confirm:$false
$started = Start-PgHaNode -Conninfo $ci -Name node1 -Confirm:$false
[pscustomobject]@{ Refused = $refused; Stopped = $stopped; Started = $started } | ConvertTo-Json -Depth 3
'@
        $run = Invoke-PgHaTestPwsh -File $runbook -ArgumentList $manifest.FullName, $node1.Conninfo, $node2.Conninfo
        $result = if ($run.ExitCode -eq 0) { $run.Output | ConvertFrom-Json } else { $null }
    }

    AfterAll {
        # node1 running and both standbys streaming from it again, as the shared sandbox was made.
        Start-PgHaNode -Conninfo $allConninfo -Name node1 -Confirm:$false | Out-Null
        $null = Wait-PgHaTestCondition -Seconds 60 -Condition {
            @(Get-PgHaNode -Conninfo $allConninfo -ErrorAction SilentlyContinue -WarningAction SilentlyContinue |
                    Where-Object { $_.Role -eq 'Standby' -and $_.AttachedToUpstream }).Count -eq 2
        }
    }

    It 'runs to the end without a prompt and exits 0' {
        $run.ExitCode | Should -Be 0 -Because $run.Error
    }

    It 'refuses without -Force, with PgHaPrimaryConfirmationRequired, and leaves the primary running' {
        $result.Refused | Should -BeLike 'PgHaPrimaryConfirmationRequired,*'
        $result.Stopped.WasRunning | Should -BeTrue
    }

    It 'stops the primary with -Force -Confirm:$false, and starts it again' {
        $result.Stopped.Changed | Should -BeTrue
        $result.Stopped.IsRunning | Should -BeFalse
        $result.Started.Changed | Should -BeTrue
        $result.Started.IsRunning | Should -BeTrue
        (Get-PgHaNode -Conninfo $allConninfo -Name node1).Role | Should -Be 'Primary'
    }
}
