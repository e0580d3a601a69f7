#Requires -Version 7.4
# Pester 5 tests of Invoke-PgHaRejoin against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: stops node3 of the run's shared sandbox (tests/PgHaTestSupport.psm1: node1 primary,
#                node2 and node3 standbys, a witness), decides under -WhatIf first, then rejoins it.
#                Needs root (the servers run as postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Invoke-PgHaRejoin parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Invoke-PgHaRejoin -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'ConnectTimeout', 'Conninfo', 'Credential', 'EventAction', 'EventCommand', 'ForceRewind',
            'InputObject', 'KnownHostsFile', 'Name', 'SshCredential', 'SshKeyFile', 'Upstream', 'Wait')
    }

    It 'has the parameter sets Name (default) and InputObject' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('InputObject', 'Name')
        $command.DefaultParameterSet | Should -Be 'Name'
    }

    It 'binds -<Parameter> in set <Set>: mandatory <Mandatory>' -ForEach @(
        @{ Parameter = 'Name'; Set = 'Name'; Mandatory = $true }
        @{ Parameter = 'Conninfo'; Set = 'Name'; Mandatory = $true }
        @{ Parameter = 'InputObject'; Set = 'InputObject'; Mandatory = $true }
        @{ Parameter = 'Upstream'; Set = 'Name'; Mandatory = $false }
        @{ Parameter = 'ForceRewind'; Set = 'InputObject'; Mandatory = $false }
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
        $command.Parameters['ForceRewind'].ParameterType | Should -Be ([switch])
    }

    It 'declares PgHa.PgHaRoleChange as its output type' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaRoleChange'
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Invoke-PgHaRejoin -Conninfo "host='unterminated" -Name node1 -WhatIf } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.InvokePgHaRejoinCommand'
    }
}

Describe 'Invoke-PgHaRejoin against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        # A standby stopped cleanly: its rejoin needs no rewind.
        $node = 'node3'
        Stop-PgHaNode -Conninfo $ci -Name $node -Mode Fast | Out-Null
    }

    AfterAll {
        Start-PgHaNode -Conninfo $ci -Name $node | Out-Null
    }

    It 'names the decision under -WhatIf and changes nothing' {
        $result = Invoke-PgHaRejoin -Conninfo $ci -Name $node -ForceRewind -WhatIf
        $result | Should -BeNullOrEmpty
        (Get-PgHaNode -Conninfo $ci -Name $node).Status | Should -Not -Be 'Running'
    }

    It 'rejoins the node as a standby of the primary' {
        $change = Invoke-PgHaRejoin -Conninfo $ci -Name $node -ForceRewind -Confirm:$false
        $change.Action | Should -Be 'Rejoin'
        $change.Method | Should -BeIn @('Direct', 'Rewind')
        "$($change.RoleAfter)" | Should -Be 'Standby'
        $primary = (Get-PgHaCluster -Conninfo $ci).Primary
        $change.UpstreamAfter | Should -Be $primary
        (Get-PgHaEvent -Conninfo $ci -NodeName $node -Event node_rejoin) | Should -Not -BeNullOrEmpty
    }

    It 'changes nothing when run again: the node already streams from the primary (Changed = $false)' {
        $again = Invoke-PgHaRejoin -Conninfo $ci -Name $node -Confirm:$false
        $again.Changed | Should -BeFalse
        $again.Method | Should -Be 'None'
    }

    It 'refuses the running node with PgHaRejoinNodeRunning when asked to rejoin another upstream' {
        $other = Get-PgHaNode -Conninfo $ci | Where-Object { $_.Role -eq 'Standby' -and $_.Active -and $_.Name -ne $node } | Select-Object -First 1
        if (-not $other) { Set-ItResult -Skipped -Because 'the cluster has no second active standby' }
        Invoke-PgHaRejoin -Conninfo $ci -Name $node -Upstream $other.Name -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaRejoinNodeRunning,*'
    }
}
