#Requires -Version 7.4
# Pester 5 tests of Suspend-PgHaMonitor against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract, -WhatIf (which reads nothing) and the errors met before a monitor
#                is asked.
#   Integration: pauses and resumes the run's shared sandbox (tests/PgHaTestSupport.psm1: node1 primary,
#                node2 and node3 standbys, a witness), whose monitors run for this file in thread jobs;
#                the cluster is left resumed. Needs root (the servers run as postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Suspend-PgHaMonitor parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Suspend-PgHaMonitor -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    # The whole contract is shared with Resume-PgHaMonitor.
    . $PSScriptRoot/PgHaMonitorPause.Contract.ps1
}

Describe 'Suspend-PgHaMonitor against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $monitorJobs = Start-PgHaTestMonitor -Sandbox $sandbox
        $before = @(Get-PgHaMonitor -Conninfo $ci)
        $pausedAlready = [bool]($before | Where-Object { $_.Running -and $_.Paused })
    }

    AfterAll {
        if (-not $pausedAlready) { Resume-PgHaMonitor -Conninfo $ci -Confirm:$false -WarningAction SilentlyContinue | Out-Null }
        Stop-PgHaTestMonitor -Sandbox $sandbox -Job $monitorJobs
    }

    It 'pauses every running monitor before it returns, and says so in each status' {
        if ($pausedAlready) { Set-ItResult -Skipped -Because 'a monitor of this cluster is paused already' }
        $statuses = @(Suspend-PgHaMonitor -Conninfo $ci -Confirm:$false -WarningAction SilentlyContinue)
        $statuses.Count | Should -Be $before.Count
        $statuses | Where-Object Running | ForEach-Object { $_.Paused | Should -BeTrue -Because "$($_.Name) should report the pause" }
        Get-PgHaMonitor -Conninfo $ci | Where-Object Running | ForEach-Object { $_.Paused | Should -BeTrue }
    }

    It 'changes nothing more when called again' {
        if ($pausedAlready) { Set-ItResult -Skipped -Because 'a monitor of this cluster is paused already' }
        $statuses = @(Suspend-PgHaMonitor -Conninfo $ci -Wait 0 -Confirm:$false -WarningAction SilentlyContinue)
        $statuses | Where-Object Running | ForEach-Object { $_.Paused | Should -BeTrue }
        (Get-PgHaCluster -Conninfo $ci -WarningAction SilentlyContinue).Primary | Should -Not -BeNullOrEmpty
    }
}
