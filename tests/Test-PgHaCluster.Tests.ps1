#Requires -Version 7.4
# Pester 5 tests of Test-PgHaCluster against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract and the errors met before any node is checked.
#   Integration: checks a real cluster: the run's shared sandbox (tests/PgHaTestSupport.psm1). Reads only.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Test-PgHaCluster parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Test-PgHaCluster -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be (@('ArchiveReadyCritical', 'ArchiveReadyWarning', 'Check', 'ClockSkewCritical', 'ClockSkewWarning', 'ConnectTimeout', 'Conninfo',
                'Credential', 'LagCritical', 'LagCriticalBytes', 'LagWarning', 'LagWarningBytes', 'MonitorTimeout', 'Quiet',
                'SlotWalCriticalBytes', 'SlotWalWarningBytes') | Sort-Object)
    }

    It 'takes -Conninfo at position 0, from a piped sandbox (Conninfo) or cluster view (MetadataConninfo)' {
        $conninfo = $command.Parameters['Conninfo']
        $conninfo.ParameterSets.Values.Position | Should -Contain 0
        $conninfo.ParameterSets.Values.IsMandatory | Should -Contain $true
        $conninfo.ParameterSets.Values.ValueFromPipelineByPropertyName | Should -Contain $true
        $conninfo.Aliases | Should -Contain 'MetadataConninfo'
    }

    It 'declares PgHa.PgHaCheckResult and a boolean (-Quiet) as its output' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaCheckResult'
        $command.OutputType.Name | Should -Contain 'System.Boolean'
    }

    It 'refuses <Parameter> <Value> (warning above critical) with PgHaCheckThresholdInvalid' -ForEach @(
        @{ Parameter = 'ArchiveReadyWarning'; Value = 500 }
        @{ Parameter = 'ClockSkewWarning'; Value = 60 }
        @{ Parameter = 'SlotWalWarningBytes'; Value = 16GB }
    ) {
        $arguments = @{ Conninfo = 'host=127.0.0.1 port=1'; $Parameter = $Value }
        { Test-PgHaCluster @arguments } | Should -Throw -ErrorId 'PgHaCheckThresholdInvalid,PgHa.Cmdlets.TestPgHaClusterCommand'
    }

    It 'refuses -MonitorTimeout 0' {
        { Test-PgHaCluster -Conninfo 'host=127.0.0.1 port=1' -MonitorTimeout 0 } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.TestPgHaClusterCommand'
    }

    It 'reports an unreachable cluster as a non-terminating PgHaNodeUnreachable, and -Quiet as $false' {
        Test-PgHaCluster -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -ConnectTimeout 1 -ErrorAction SilentlyContinue -ErrorVariable failed | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeUnreachable,*'
        Test-PgHaCluster 'host=127.0.0.1 port=1 dbname=pgha' -ConnectTimeout 1 -Quiet -ErrorAction SilentlyContinue | Should -BeFalse
    }
}

Describe 'Test-PgHaCluster against a real cluster' -Tag Integration {
    BeforeAll {
        $ci = (Get-PgHaTestSandbox).Conninfo
        $nodes = @(Get-PgHaNode -Conninfo $ci | Where-Object Active)
        $results = @(Test-PgHaCluster -Conninfo $ci)
    }

    It 'has one SinglePrimary row for the cluster, first' {
        $results[0].Check | Should -Be 'SinglePrimary'
        $results[0].Node | Should -Be '(cluster)'
        @($results | Where-Object Check -eq 'SinglePrimary').Count | Should -Be 1
    }

    It 'has a reachability row for every ordered pair of active nodes' {
        $matrix = @($results | Where-Object Check -eq 'Reachability')
        $matrix.Count | Should -Be ($nodes.Count * ($nodes.Count - 1))
        $matrix | ForEach-Object { $_.Peer | Should -Not -Be $_.Node }
    }

    It 'works as a Pester assertion: every check Ok but the monitors, which the shared sandbox does not run' {
        # The sandbox runs no monitors, so each node's Monitor check says so; everything else must be Ok.
        $results | Where-Object { $_.Status -ne 'Ok' -and $_.Check -ne 'Monitor' } | Should -BeNullOrEmpty
        $monitor = @($results | Where-Object Check -eq 'Monitor')
        $monitor.Count | Should -Be $nodes.Count
        $monitor | ForEach-Object { $_.Status | Should -Be 'Warning'; $_.Message | Should -Match 'Start-PgHaMonitor' }
    }

    It 'takes a cluster view from the pipeline' {
        $fromView = @(Get-PgHaCluster -Conninfo $ci | Test-PgHaCluster -Check SinglePrimary)
        $fromView.Count | Should -Be 1
        $fromView[0].Check | Should -Be 'SinglePrimary'
    }

    It 'serializes to JSON without driver types' {
        { $results | ConvertTo-Json -Depth 3 | ConvertFrom-Json } | Should -Not -Throw
    }
}
