#Requires -Version 7.4
# Pester 5 tests of Invoke-PgHaPromote against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: checks the run's shared sandbox (tests/PgHaTestSupport.psm1: node1 primary, node2 and
#                node3 standbys, a witness) without promoting anything (-WhatIf and the refusal while the
#                primary runs). The promotion itself is one-way and is tested on throwaway servers by the
#                xunit suite. Needs root (the servers run as postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
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
        { Invoke-PgHaPromote -Conninfo "host='unterminated" -Name node2 -WhatIf } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.InvokePgHaPromoteCommand'
    }
}

Describe 'Invoke-PgHaPromote against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $standby = 'node2'
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
