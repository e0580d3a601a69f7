#Requires -Version 7.4
# Pester 5 tests of Restart-PgHaNode against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: restarts a standby of a real cluster: set PGHA_TEST_CONNINFO to the libpq conninfo of a
#                registered cluster and PGHA_TEST_STANDBY to the name of a standby registered with
#                -DataDirectory on this machine or with its SSH host. Skipped otherwise.

BeforeAll {
    $manifest = Get-ChildItem "$PSScriptRoot/../output/PgHa/*/PgHa.psd1" | Select-Object -First 1
    if (-not $manifest) { throw 'No output/PgHa/<version>/PgHa.psd1: build the module first (./build.ps1 -Task Build).' }
    Import-Module $manifest.FullName -Force
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

    It 'has the parameter sets Path (default), InputObject and Name' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('InputObject', 'Name', 'Path')
        $command.DefaultParameterSet | Should -Be 'Path'
    }

    It 'binds -<Parameter> in set <Set>: mandatory <Mandatory>' -ForEach @(
        @{ Parameter = 'DataDirectory'; Set = 'Path'; Mandatory = $true }
        @{ Parameter = 'DataDirectory'; Set = 'Name'; Mandatory = $false }
        @{ Parameter = 'InputObject'; Set = 'InputObject'; Mandatory = $true }
        @{ Parameter = 'Name'; Set = 'Name'; Mandatory = $true }
        @{ Parameter = 'Conninfo'; Set = 'Name'; Mandatory = $true }
        @{ Parameter = 'SshHost'; Set = 'Path'; Mandatory = $false }
    ) {
        $setInfo = $command.ParameterSets | Where-Object Name -eq $Set
        $bound = $setInfo.Parameters | Where-Object Name -eq $Parameter
        $bound | Should -Not -BeNullOrEmpty
        $bound.IsMandatory | Should -Be $Mandatory
    }

    It 'takes PgHa.PgHaNode objects from the pipeline' {
        $command.Parameters['InputObject'].ParameterType.FullName | Should -Be 'PgHa.PgHaNode'
        $command.Parameters['InputObject'].ParameterSets['InputObject'].ValueFromPipeline | Should -BeTrue
    }

    It 'supports -WhatIf and -Confirm at ConfirmImpact Medium, waits 60 s by default' {
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'
        $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'Medium'
        $command.Parameters['Wait'].ParameterType | Should -Be ([int])
    }

    It 'declares PgHa.PgHaNodeServiceResult as its output type' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaNodeServiceResult'
    }

    It 'takes -Mode as PgHaStopMode for the stop half' {
        $command.Parameters['Mode'].ParameterType.FullName | Should -Be 'PgHa.PgHaStopMode'
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Restart-PgHaNode -Conninfo "host='unterminated" -Name node2 -WhatIf } | Should -Throw -ErrorId 'PgHaConninfoInvalid'
    }

    It 'refuses a directory that is not a data directory with PgHaDataDirectoryNotFound' {
        $empty = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'not-a-datadir')
        Restart-PgHaNode -DataDirectory $empty.FullName -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaDataDirectoryNotFound,*'
    }
}

Describe 'Restart-PgHaNode against a real cluster' -Tag Integration -Skip:(-not ($env:PGHA_TEST_CONNINFO -and $env:PGHA_TEST_STANDBY)) {
    BeforeAll {
        $ci = $env:PGHA_TEST_CONNINFO
        $standby = $env:PGHA_TEST_STANDBY
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
