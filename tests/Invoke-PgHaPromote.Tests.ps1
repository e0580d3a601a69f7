#Requires -Version 7.4
# Pester 5 tests of Invoke-PgHaPromote against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: checks a real cluster without promoting anything (-WhatIf and the refusal while the
#                primary runs): set PGHA_TEST_CONNINFO to the libpq conninfo of a registered cluster whose
#                primary runs and PGHA_TEST_STANDBY to the name of a standby. Skipped otherwise. The
#                promotion itself is one-way and is tested on throwaway servers by the xunit suite.

BeforeAll {
    $manifest = Get-ChildItem "$PSScriptRoot/../output/PgHa/*/PgHa.psd1" | Select-Object -First 1
    if (-not $manifest) { throw 'No output/PgHa/<version>/PgHa.psd1: build the module first (./build.ps1 -Task Build).' }
    Import-Module $manifest.FullName -Force
}

Describe 'Invoke-PgHaPromote parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Invoke-PgHaPromote -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'AllowDataLoss', 'ConnectTimeout', 'Conninfo', 'Credential', 'EventAction', 'EventCommand',
            'InputObject', 'KnownHostsFile', 'Name', 'SiblingsFollow', 'SshCredential', 'SshKeyFile', 'Wait')
    }

    It 'has the parameter sets Name (default) and InputObject' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('InputObject', 'Name')
        $command.DefaultParameterSet | Should -Be 'Name'
    }

    It 'binds -<Parameter> in set <Set>: mandatory <Mandatory>' -ForEach @(
        @{ Parameter = 'Name'; Set = 'Name'; Mandatory = $true }
        @{ Parameter = 'Conninfo'; Set = 'Name'; Mandatory = $true }
        @{ Parameter = 'InputObject'; Set = 'InputObject'; Mandatory = $true }
        @{ Parameter = 'SiblingsFollow'; Set = 'InputObject'; Mandatory = $false }
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

    It 'supports -WhatIf and -Confirm at ConfirmImpact High, waits 60 s by default' {
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'
        $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'High'
        $command.Parameters['Wait'].ParameterType | Should -Be ([int])
    }

    It 'declares PgHa.PgHaRoleChange as its output type' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaRoleChange'
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Invoke-PgHaPromote -Conninfo "host='unterminated" -Name node2 -WhatIf } | Should -Throw -ErrorId 'PgHaConninfoInvalid'
    }
}

Describe 'Invoke-PgHaPromote against a real cluster' -Tag Integration -Skip:(-not ($env:PGHA_TEST_CONNINFO -and $env:PGHA_TEST_STANDBY)) {
    BeforeAll {
        $ci = $env:PGHA_TEST_CONNINFO
        $standby = $env:PGHA_TEST_STANDBY
    }

    It 'refuses while the primary runs, and changes nothing' {
        Invoke-PgHaPromote -Conninfo $ci -Name $standby -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaPrimaryStillRunning,*'
        (Get-PgHaNode -Conninfo $ci -Name $standby).InRecovery | Should -BeTrue
    }

    It 'promotes nothing under -WhatIf -AllowDataLoss' {
        Get-PgHaNode -Conninfo $ci -Name $standby | Invoke-PgHaPromote -AllowDataLoss -WhatIf | Should -BeNullOrEmpty
        (Get-PgHaNode -Conninfo $ci -Name $standby).InRecovery | Should -BeTrue
    }

    It 'changes nothing when asked to promote the primary' {
        $primary = Get-PgHaNode -Conninfo $ci | Where-Object { $_.Role -eq 'Primary' -and $_.Active }
        ($primary | Invoke-PgHaPromote -Confirm:$false).Changed | Should -BeFalse
    }
}
