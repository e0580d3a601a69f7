#Requires -Version 7.4
# Pester 5 tests of Invoke-PgHaFollow against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: moves node3 to cascade from node2 and back, on the run's shared sandbox
#                (tests/PgHaTestSupport.psm1: node1 primary, node2 and node3 standbys, a witness). Needs
#                root (the servers run as postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Invoke-PgHaFollow parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Invoke-PgHaFollow -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'ConnectTimeout', 'Conninfo', 'Credential', 'EventAction', 'EventCommand', 'InputObject',
            'KnownHostsFile', 'Name', 'SshCredential', 'SshKeyFile', 'Upstream', 'Wait')
    }

    It 'has the parameter sets Name (default) and InputObject' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('InputObject', 'Name')
        $command.DefaultParameterSet | Should -Be 'Name'
    }

    It 'takes PgHa.PgHaNode objects from the pipeline' {
        $command.Parameters['InputObject'].ParameterType.FullName | Should -Be 'PgHa.PgHaNode'
        $command.Parameters['InputObject'].ParameterSets['InputObject'].ValueFromPipeline | Should -BeTrue
    }

    It 'supports -WhatIf and -Confirm at ConfirmImpact Medium, waits 60 s by default' {
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'Medium'
        $command.Parameters['Wait'].ParameterType | Should -Be ([int])
        $command.Parameters['Upstream'].ParameterType | Should -Be ([string])
    }

    It 'declares PgHa.PgHaRoleChange as its output type' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaRoleChange'
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Invoke-PgHaFollow -Conninfo "host='unterminated" -Name node3 -WhatIf } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.InvokePgHaFollowCommand'
    }
}

Describe 'Invoke-PgHaFollow against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $standby = 'node3'
        $other = 'node2'
    }

    AfterAll {
        Invoke-PgHaFollow -Conninfo $ci -Name $standby | Out-Null
    }

    It 'cascades from another standby, once' {
        $followed = Get-PgHaNode -Conninfo $ci -Name $standby | Invoke-PgHaFollow -Upstream $other
        $followed.UpstreamAfter | Should -Be $other
        (Invoke-PgHaFollow -Conninfo $ci -Name $standby -Upstream $other).Changed | Should -BeFalse
    }

    It 'comes back to the primary by default' {
        $back = Invoke-PgHaFollow -Conninfo $ci -Name $standby
        $back.Changed | Should -BeTrue
        (Get-PgHaNode -Conninfo $ci -Name $standby).AttachedToUpstream | Should -BeTrue
    }

    It 'refuses to follow itself with PgHaFollowUpstreamInvalid' {
        Invoke-PgHaFollow -Conninfo $ci -Name $standby -Upstream $standby -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaFollowUpstreamInvalid,*'
    }
}
