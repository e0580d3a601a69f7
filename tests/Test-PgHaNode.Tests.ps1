#Requires -Version 7.4
# Pester 5 tests of Test-PgHaNode against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract, the result type and its table view, and the errors met before any node is checked.
#   Integration: checks the nodes of a real cluster: the run's shared sandbox (tests/PgHaTestSupport.psm1). Reads only.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Test-PgHaNode parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Test-PgHaNode -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be (@('ArchiveReadyCritical', 'ArchiveReadyWarning', 'Check', 'ClockSkewCritical', 'ClockSkewWarning', 'ConnectTimeout', 'Conninfo',
                'Credential', 'LagCritical', 'LagCriticalBytes', 'LagWarning', 'LagWarningBytes', 'MonitorTimeout', 'Name', 'Quiet',
                'SlotWalCriticalBytes', 'SlotWalWarningBytes') | Sort-Object)
    }

    It 'binds -Name and -Conninfo from piped nodes (Get-PgHaNode | Test-PgHaNode)' {
        $command.Parameters['Name'].ParameterSets.Values.ValueFromPipelineByPropertyName | Should -Contain $true
        $command.Parameters['Conninfo'].ParameterSets.Values.ValueFromPipelineByPropertyName | Should -Contain $true
        $command.Parameters['Conninfo'].ParameterSets.Values.IsMandatory | Should -Contain $true
        @($command.Parameters['Name'].Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }) | Should -Not -BeNullOrEmpty
    }

    It 'has repmgr''s defaults for the thresholds repmgr has' {
        $instance = $command.ImplementingType::new()
        $instance.LagWarning | Should -Be 300
        $instance.LagCritical | Should -Be 600
        $instance.ArchiveReadyWarning | Should -Be 16
        $instance.ArchiveReadyCritical | Should -Be 128
        $instance.MonitorTimeout | Should -Be 1
    }

    It 'takes check names as a type, not free text' {
        $command.Parameters['Check'].ParameterType | Should -Be ([PgHa.PgHaCheckName[]])
        [enum]::GetNames([PgHa.PgHaCheckName]) | Should -Contain 'ReplicationLag'
        [enum]::GetNames([PgHa.PgHaHealthStatus]) | Should -Be @('Ok', 'Warning', 'Critical', 'Unknown')
        [int][PgHa.PgHaHealthStatus]::Unknown | Should -Be 3
    }

    It 'declares PgHa.PgHaCheckResult and a boolean (-Quiet) as its output, with a table view' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaCheckResult'
        $command.OutputType.Name | Should -Contain 'System.Boolean'
        $view = Get-FormatData -TypeName PgHa.PgHaCheckResult
        $view.FormatViewDefinition[0].Control.Headers.Label | Should -Be @('Node', 'Check', 'Status', 'Value', 'Message')
    }

    It 'only reads: no -WhatIf' {
        $command.Parameters.ContainsKey('WhatIf') | Should -BeFalse
    }

    It 'refuses an unknown check name' {
        { Test-PgHaNode -Conninfo 'host=127.0.0.1 port=1' -Check NoSuchCheck } |
            Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,PgHa.Cmdlets.TestPgHaNodeCommand'
    }

    It 'refuses a warning threshold above its critical one with PgHaCheckThresholdInvalid' {
        { Test-PgHaNode -Conninfo 'host=127.0.0.1 port=1' -LagWarning 700 } | Should -Throw -ErrorId 'PgHaCheckThresholdInvalid,PgHa.Cmdlets.TestPgHaNodeCommand'
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Test-PgHaNode -Conninfo "host='unterminated" } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.TestPgHaNodeCommand'
    }

    It 'reports an unreachable cluster as a non-terminating PgHaNodeUnreachable, and -Quiet as $false' {
        Test-PgHaNode -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -ConnectTimeout 1 -ErrorAction SilentlyContinue -ErrorVariable failed | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeUnreachable,*'
        Test-PgHaNode -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -ConnectTimeout 1 -Quiet -ErrorAction SilentlyContinue | Should -BeFalse
    }
}

Describe 'Test-PgHaNode against a real cluster' -Tag Integration {
    BeforeAll {
        $ci = (Get-PgHaTestSandbox).Conninfo
        $nodes = @(Get-PgHaNode -Conninfo $ci | Where-Object Active)
        $results = @(Get-PgHaNode -Conninfo $ci | Test-PgHaNode)
    }

    It 'checks every piped node, each with a Connection and a Role check' {
        ($results.Node | Sort-Object -Unique) | Should -Be ($nodes.Name | Sort-Object)
        foreach ($node in $nodes) {
            @($results | Where-Object { $_.Node -eq $node.Name -and $_.Check -eq 'Connection' }).Count | Should -Be 1
            @($results | Where-Object { $_.Node -eq $node.Name -and $_.Check -eq 'Role' }).Count | Should -Be 1
        }
    }

    It 'says what to do in every result that is not Ok' {
        $results | Where-Object Status -ne Ok | ForEach-Object { $_.Message | Should -Not -BeNullOrEmpty }
    }

    It 'makes only the checks -Check names' {
        $lag = @(Test-PgHaNode -Conninfo $ci -Check Role)
        $lag.Check | Sort-Object -Unique | Should -Be @('Role')
    }

    It 'answers -Quiet with one boolean' {
        $quiet = @(Test-PgHaNode -Conninfo $ci -Quiet)
        $quiet.Count | Should -Be 1
        $quiet[0] | Should -BeOfType [bool]
        $quiet[0] | Should -Be (-not ($results | Where-Object Status -ne Ok))
    }

    It 'reports a name that matches no node as PgHaNodeNotFound' {
        Test-PgHaNode -Conninfo $ci -Name 'no-such-node' -ErrorAction SilentlyContinue -ErrorVariable failed | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeNotFound,*'
    }

    It 'serializes to JSON without driver types' {
        { $results | ConvertTo-Json -Depth 3 | ConvertFrom-Json } | Should -Not -Throw
    }
}
