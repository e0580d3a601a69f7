#Requires -Version 7.4
# Pester 5 tests of Stop-PgHaNode against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: stops and starts node2 of the run's shared sandbox (tests/PgHaTestSupport.psm1: node1
#                primary, node2 and node3 standbys, a witness). Needs root (the servers run as postgres)
#                and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Stop-PgHaNode parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Stop-PgHaNode -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'ConnectTimeout', 'Conninfo', 'Credential', 'DataDirectory', 'Force', 'InputObject', 'KnownHostsFile', 'Mode', 'Name', 'PgBinDir', 'SshCredential', 'SshHost', 'SshKeyFile', 'SshPort', 'SshUser', 'Wait')
    }

    It 'takes -Mode as PgHaStopMode (Smart, Fast, Immediate), Fast by default' {
        $command.Parameters['Mode'].ParameterType.FullName | Should -Be 'PgHa.PgHaStopMode'
        [enum]::GetNames([PgHa.PgHaStopMode]) | Should -Be @('Smart', 'Fast', 'Immediate')
    }

    # The contract shared with the other node service cmdlets.
    . $PSScriptRoot/PgHaNodeService.Contract.ps1
}

Describe 'Stop-PgHaNode against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $standby = 'node2'
    }

    AfterAll {
        Start-PgHaNode -Conninfo $ci -Name $standby | Out-Null
    }

    It 'stops a standby in <Mode> mode' -ForEach @(@{ Mode = 'Smart' }, @{ Mode = 'Fast' }, @{ Mode = 'Immediate' }) {
        Start-PgHaNode -Conninfo $ci -Name $standby | Out-Null
        $stopped = Get-PgHaNode -Conninfo $ci -Name $standby | Stop-PgHaNode -Mode $Mode
        $stopped.Changed | Should -BeTrue
        $stopped.IsRunning | Should -BeFalse
        "$($stopped.Mode)" | Should -Be $Mode
    }

    It 'changes nothing when the server is already stopped' {
        (Stop-PgHaNode -Conninfo $ci -Name $standby).Changed | Should -BeFalse
    }

    It 'does not stop anything under -WhatIf' {
        Start-PgHaNode -Conninfo $ci -Name $standby | Out-Null
        Stop-PgHaNode -Conninfo $ci -Name $standby -WhatIf | Should -BeNullOrEmpty
        (Get-PgHaNode -Conninfo $ci -Name $standby).Status | Should -Be 'Running'
    }

    It 'asks before stopping the primary: -WhatIf names it as the primary' {
        $primary = Get-PgHaNode -Conninfo $ci | Where-Object { $_.Role -eq 'Primary' -and $_.Active }
        $primary | Stop-PgHaNode -WhatIf | Should -BeNullOrEmpty
    }

}
