#Requires -Version 7.4
# Pester 5 tests of Restart-PgHaNode against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: restarts node2 of the run's shared sandbox (tests/PgHaTestSupport.psm1: node1 primary,
#                node2 and node3 standbys, a witness). Needs root (the servers run as postgres) and
#                PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Restart-PgHaNode parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Restart-PgHaNode -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'ConnectTimeout', 'Conninfo', 'Credential', 'DataDirectory', 'Force', 'InputObject', 'KnownHostsFile', 'LogFile', 'Mode', 'Name', 'PgBinDir', 'SshCredential', 'SshHost', 'SshKeyFile', 'SshPort', 'SshUser', 'Wait')
    }

    It 'takes -Mode as PgHaStopMode for the stop half' {
        $command.Parameters['Mode'].ParameterType.FullName | Should -Be 'PgHa.PgHaStopMode'
    }

    # The contract shared with the other node service cmdlets.
    . $PSScriptRoot/PgHaNodeService.Contract.ps1
}

Describe 'Restart-PgHaNode against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $standby = 'node2'
    }

    It 'restarts a standby with a new postmaster' {
        $before = (Start-PgHaNode -Conninfo $ci -Name $standby).Pid
        $restarted = Restart-PgHaNode -Conninfo $ci -Name $standby -Mode Fast
        $restarted.Changed | Should -BeTrue
        $restarted.WasRunning | Should -BeTrue
        $restarted.IsRunning | Should -BeTrue
        $restarted.Pid | Should -Not -Be $before
    }

    It 'restarts nothing under -WhatIf' {
        $before = (Start-PgHaNode -Conninfo $ci -Name $standby).Pid
        Get-PgHaNode -Conninfo $ci -Name $standby | Restart-PgHaNode -WhatIf | Should -BeNullOrEmpty
        (Start-PgHaNode -Conninfo $ci -Name $standby).Pid | Should -Be $before
    }

}
