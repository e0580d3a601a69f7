#Requires -Version 7.4
# Pester 5 tests of Get-PgHaCluster against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: read only, on the run's shared sandbox (tests/PgHaTestSupport.psm1: node1 primary, node2
#                and node3 standbys, a witness). Needs root (the servers run as postgres) and PostgreSQL
#                15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Get-PgHaCluster parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Get-PgHaCluster -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters Conninfo, Credential, ConnectTimeout and EtcdCredential' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('ConnectTimeout', 'Conninfo', 'Credential', 'EtcdCredential')
    }

    It 'takes -Conninfo as a mandatory string array at position 0' {
        $conninfo = $command.Parameters['Conninfo']
        $conninfo.ParameterType | Should -Be ([string[]])
        $conninfo.ParameterSets['__AllParameterSets'].IsMandatory | Should -BeTrue
        $conninfo.ParameterSets['__AllParameterSets'].Position | Should -Be 0
    }

    It 'takes nothing from the pipeline' {
        $command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true } | Should -BeNullOrEmpty
    }

    It 'takes -Credential and -EtcdCredential as PSCredentials and -ConnectTimeout as an Int32' {
        $command.Parameters['Credential'].ParameterType | Should -Be ([pscredential])
        $command.Parameters['EtcdCredential'].ParameterType | Should -Be ([pscredential])
        $command.Parameters['ConnectTimeout'].ParameterType | Should -Be ([int])
    }

    It 'declares PgHa.PgHaCluster as its output type' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaCluster'
    }

    It 'only reads, so it has no -WhatIf' {
        $command.Parameters.ContainsKey('WhatIf') | Should -BeFalse
    }

    It 'refuses a connect timeout outside 1..300' {
        { Get-PgHaCluster -Conninfo 'host=pg1 dbname=pgha' -ConnectTimeout 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.GetPgHaClusterCommand'
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Get-PgHaCluster -Conninfo 'host=127.0.0.1 nosuchkeyword=1' } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.GetPgHaClusterCommand'
    }
}

Describe 'Get-PgHaCluster against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $cluster = Get-PgHaCluster -Conninfo $ci -WarningVariable clusterWarnings -WarningAction SilentlyContinue
    }

    It 'returns one cluster object' {
        @($cluster).Count | Should -Be 1
        $cluster | Should -BeOfType 'PgHa.PgHaCluster'
    }

    It 'says the built-in quorum decides elections, in its Consensus and its view' {
        $cluster.Consensus.Backend | Should -Be 'BuiltIn'
        $cluster.Consensus.EtcdEndpoints | Should -BeNullOrEmpty
        ($cluster | Out-String) | Should -Match 'Elections: built-in quorum'
    }

    It 'has exactly one active primary, and it is the one the cluster names' {
        $primaries = @($cluster.Nodes | Where-Object { $_.Role -eq 'Primary' -and $_.Active })
        $primaries.Count | Should -Be 1
        $cluster.Primary | Should -Be $primaries[0].Name
        $primaries[0].Status | Should -Be 'Running'
        $primaries[0].InRecovery | Should -BeFalse
    }

    It 'has standbys streaming from their registered upstream on the primary''s timeline' {
        $primary = $cluster.Nodes | Where-Object { $_.Role -eq 'Primary' -and $_.Active }
        $standbys = @($cluster.Nodes | Where-Object { $_.Role -eq 'Standby' -and $_.Status -eq 'Running' })
        if ($standbys.Count -eq 0) { Set-ItResult -Skipped -Because 'the cluster has no running standby' }
        foreach ($standby in $standbys) {
            $standby.InRecovery | Should -BeTrue
            $standby.AttachedToUpstream | Should -BeTrue -Because "$($standby.Name): $($standby.Warnings -join '; ')"
            $standby.StreamingFrom | Should -Be $standby.Upstream
            $standby.Timeline | Should -Be $primary.Timeline
            $standby.SystemIdentifier | Should -Be $cluster.SystemIdentifier
            $standby.ReplayLagBytes | Should -BeGreaterOrEqual 0
        }
    }

    It 'writes each warning to the warning stream and is healthy only without warnings' {
        @($clusterWarnings).Count | Should -Be @($cluster.Warnings).Count
        $cluster.Healthy | Should -Be (@($cluster.Warnings).Count -eq 0)
    }

    It 'never shows a password in a connection string' {
        $cluster.MetadataConninfo | Should -Not -Match 'password'
        foreach ($node in $cluster.Nodes) { $node.Conninfo | Should -Not -Match 'password' }
    }

    It 'uses the next entry point when the first does not answer' {
        $viaSecond = Get-PgHaCluster -Conninfo 'host=127.0.0.1 port=1 dbname=pgha', $ci -ConnectTimeout 2 -WarningAction SilentlyContinue
        @($viaSecond.Nodes).Count | Should -Be @($cluster.Nodes).Count
    }

    It 'fails with PgHaNodeUnreachable when no entry point answers, within the timeout' {
        $elapsed = Measure-Command {
            { Get-PgHaCluster -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -ConnectTimeout 2 } | Should -Throw -ErrorId 'PgHaNodeUnreachable,PgHa.Cmdlets.GetPgHaClusterCommand'
        }
        $elapsed.TotalSeconds | Should -BeLessThan 10
    }

    It 'shows the repmgr cluster show table by default' {
        $text = $cluster | Out-String -Width 250
        $text | Should -Match 'ID \| Name +\| Role +\| Status +\| Upstream'
        $text | Should -Match ([regex]::Escape("| $($cluster.Primary)"))
    }

    It 'serializes to JSON without cycles' {
        $json = $cluster | ConvertTo-Json -Depth 5 -WarningAction SilentlyContinue
        ($json | ConvertFrom-Json).Primary | Should -Be $cluster.Primary
    }
}
