#Requires -Version 7.4
# Pester 5 tests of Start-PgHaNode against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: stops and starts node2 of the run's shared sandbox (tests/PgHaTestSupport.psm1: node1
#                primary, node2 and node3 standbys, a witness). Needs root (the servers run as postgres)
#                and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Start-PgHaNode parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Start-PgHaNode -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'ConnectTimeout', 'Conninfo', 'Credential', 'DataDirectory', 'InputObject', 'KnownHostsFile', 'LogFile', 'Name', 'PgBinDir', 'SshCredential', 'SshHost', 'SshKeyFile', 'SshPort', 'SshUser', 'Wait')
    }

    It 'has no -Mode and no -Force: starting needs neither' {
        $command.Parameters.Keys | Should -Not -Contain 'Mode'
        $command.Parameters.Keys | Should -Not -Contain 'Force'
    }

    # The contract shared with the other node service cmdlets.
    . $PSScriptRoot/PgHaNodeService.Contract.ps1
}

Describe 'Start-PgHaNode against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $standby = 'node2'
    }

    It 'starts a stopped standby and reports Changed, then changes nothing on a second call' {
        Stop-PgHaNode -Conninfo $ci -Name $standby -Mode Fast | Out-Null
        $started = Start-PgHaNode -Conninfo $ci -Name $standby
        $started | Should -BeOfType 'PgHa.PgHaNodeServiceResult'
        $started.Changed | Should -BeTrue
        $started.IsRunning | Should -BeTrue
        $started.Pid | Should -BeGreaterThan 0
        (Start-PgHaNode -Conninfo $ci -Name $standby).Changed | Should -BeFalse
    }

    It 'starts nodes from the pipeline and writes one result per node' {
        $results = @(Get-PgHaNode -Conninfo $ci | Start-PgHaNode)
        $results.Count | Should -Be @(Get-PgHaNode -Conninfo $ci).Count
    }

}
