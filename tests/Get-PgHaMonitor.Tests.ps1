#Requires -Version 7.4
# Pester 5 tests of Get-PgHaMonitor against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract, the table view, and the errors met before any monitor is asked.
#   Integration: asks the monitors of the run's shared sandbox (tests/PgHaTestSupport.psm1: node1
#                primary, node2 and node3 standbys, a witness), started for this file in thread jobs and
#                stopped after it. Needs root (the servers run as postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Get-PgHaMonitor parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Get-PgHaMonitor -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be (@('ConnectTimeout', 'Conninfo', 'Credential', 'Name', 'SecretFile', 'Timeout') | Sort-Object)
    }

    It 'has one parameter set with a mandatory -Conninfo at position 0' {
        @($command.ParameterSets).Count | Should -Be 1
        $conninfo = $command.ParameterSets[0].Parameters | Where-Object Name -eq Conninfo
        $conninfo.IsMandatory | Should -BeTrue
        $conninfo.Position | Should -Be 0
        $command.Parameters['Conninfo'].ParameterType | Should -Be ([string[]])
    }

    It 'takes wildcard names, and a -Timeout in seconds (1 by default)' {
        $command.Parameters['Name'].ParameterType | Should -Be ([string[]])
        @($command.Parameters['Name'].Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }) | Should -Not -BeNullOrEmpty
        $command.Parameters['Timeout'].ParameterType | Should -Be ([double])
        $command.ImplementingType::new().Timeout | Should -Be 1
    }

    It 'only reads: no -WhatIf, nothing from the pipeline' {
        $command.Parameters.ContainsKey('WhatIf') | Should -BeFalse
        $fromPipeline = @($command.Parameters.Values | Where-Object {
                $_.ParameterSets.Values.ValueFromPipeline -contains $true -or $_.ParameterSets.Values.ValueFromPipelineByPropertyName -contains $true })
        $fromPipeline | Should -BeNullOrEmpty
    }

    It 'declares PgHa.PgHaMonitorStatus as its output type, with a table view' {
        $command.OutputType.Name | Should -Be @('PgHa.PgHaMonitorStatus')
        $view = Get-FormatData -TypeName PgHa.PgHaMonitorStatus
        $view | Should -Not -BeNullOrEmpty
        $view.FormatViewDefinition[0].Control.Headers.Label | Should -Contain 'Monitor'
        $view.FormatViewDefinition[0].Control.Headers.Label | Should -Contain 'Term'
    }

    It 'refuses -Timeout <Timeout> (0.1 to 60 seconds)' -ForEach @(@{ Timeout = 0 }, @{ Timeout = 61 }) {
        { Get-PgHaMonitor -Conninfo 'host=127.0.0.1 port=1' -Timeout $Timeout } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.GetPgHaMonitorCommand'
    }

    It 'refuses a -SecretFile that is missing, before connecting' {
        Get-PgHaMonitor -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -SecretFile (Join-Path $TestDrive 'none') -ErrorAction SilentlyContinue -ErrorVariable missing | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'PgHaClusterSecretMissing,*'
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Get-PgHaMonitor -Conninfo "host='unterminated" } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.GetPgHaMonitorCommand'
    }

    It 'reports an unreachable cluster as a non-terminating PgHaNodeUnreachable' {
        # A valid cluster secret (mode 0600), so that the call gets as far as connecting whatever the environment holds.
        $secret = Join-Path $TestDrive "secret-$([guid]::NewGuid().ToString('N'))"
        [Convert]::ToBase64String([byte[]](1..48)) | Set-Content -LiteralPath $secret
        & chmod 600 $secret
        Get-PgHaMonitor -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -SecretFile $secret -ErrorAction SilentlyContinue -ErrorVariable failed | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeUnreachable,*'
    }
}

Describe 'Get-PgHaMonitor against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $monitorJobs = Start-PgHaTestMonitor -Sandbox $sandbox
        $nodes = @(Get-PgHaNode -Conninfo $ci | Where-Object Active)
        $monitors = @(Get-PgHaMonitor -Conninfo $ci)
    }

    AfterAll {
        Stop-PgHaTestMonitor -Sandbox $sandbox -Job $monitorJobs
    }

    It 'returns one status per active node, with its endpoint' {
        $monitors.Count | Should -Be $nodes.Count
        ($monitors.Name | Sort-Object) | Should -Be ($nodes.Name | Sort-Object)
        $monitors | ForEach-Object {
            $_.PSObject.TypeNames[0] | Should -Be 'PgHa.PgHaMonitorStatus'
            $_.Endpoint | Should -Match ':\d+$'
        }
    }

    It 'fills in what a running monitor sees' {
        $running = @($monitors | Where-Object Running)
        if ($running.Count -eq 0) { Set-ItResult -Skipped -Because 'no monitor of this cluster runs' }
        foreach ($monitor in $running) {
            $monitor.Role | Should -BeIn 'primary', 'standby', 'witness', 'candidate', 'down', 'unknown'
            $monitor.Term | Should -BeGreaterOrEqual 1
            $monitor.ProcessId | Should -BeGreaterThan 0
            $monitor.Paused | Should -BeOfType [bool]
            $monitor.Failover | Should -BeIn 'Automatic', 'Manual'
        }
    }

    It 'filters by name with wildcards' {
        $first = $nodes[0].Name
        @(Get-PgHaMonitor -Conninfo $ci -Name $first).Name | Should -Be @($first)
        @(Get-PgHaMonitor -Conninfo $ci -Name ($first.Substring(0, 1) + '*')).Name | Should -Contain $first
        Get-PgHaMonitor -Conninfo $ci -Name 'no-such-node-*' | Should -BeNullOrEmpty
    }

    It 'serializes to JSON without driver types' {
        { $monitors | ConvertTo-Json -Depth 4 | ConvertFrom-Json } | Should -Not -Throw
    }
}
