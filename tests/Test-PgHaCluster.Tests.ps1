#Requires -Version 7.4
# Pester 5 tests of Test-PgHaCluster against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract and the errors met before any node is checked.
#   Integration: checks a real cluster: set PGHA_TEST_CONNINFO to the libpq conninfo of a registered cluster. Reads only.

BeforeAll {
    $manifest = Get-ChildItem "$PSScriptRoot/../output/PgHa/*/PgHa.psd1" | Select-Object -First 1
    if (-not $manifest) { throw 'No output/PgHa/<version>/PgHa.psd1: build the module first (./build.ps1 -Task Build).' }
    Import-Module $manifest.FullName -Force
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

Describe 'Test-PgHaCluster against a real cluster' -Tag Integration -Skip:(-not $env:PGHA_TEST_CONNINFO) {
    BeforeAll {
        $ci = $env:PGHA_TEST_CONNINFO
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

    It 'works as a Pester assertion (every check Ok), or names what is not' {
        $notOk = $results | Where-Object Status -ne Ok
        if ($notOk) { Set-ItResult -Inconclusive -Because "the cluster reports: $(($notOk | ForEach-Object { "$($_.Node) $($_.Check) $($_.Status)" }) -join '; ')" }
        $results | Where-Object Status -ne Ok | Should -BeNullOrEmpty
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
