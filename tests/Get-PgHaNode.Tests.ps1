#Requires -Version 7.4
# Pester 5 tests of Get-PgHaNode against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: read only, on the run's shared sandbox (tests/PgHaTestSupport.psm1: node1 primary, node2
#                and node3 standbys, a witness). Needs root (the servers run as postgres) and PostgreSQL
#                15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Get-PgHaNode parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Get-PgHaNode -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters Name, Id, Conninfo, Credential and ConnectTimeout' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('ConnectTimeout', 'Conninfo', 'Credential', 'Id', 'Name')
    }

    It 'has the parameter sets Name (default) and Id' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('Id', 'Name')
        $command.DefaultParameterSet | Should -Be 'Name'
    }

    It 'binds -<Parameter> in set <Set>: mandatory <Mandatory>, position <Position>' -ForEach @(
        @{ Parameter = 'Name'; Set = 'Name'; Mandatory = $false; Position = 0 }
        @{ Parameter = 'Id'; Set = 'Id'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'Conninfo'; Set = 'Name'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'Conninfo'; Set = 'Id'; Mandatory = $true; Position = [int]::MinValue }
    ) {
        # PowerShell variables ignore case: new names keep $Set and $Parameter intact.
        $setInfo = $command.ParameterSets | Where-Object Name -eq $Set
        $bound = $setInfo.Parameters | Where-Object Name -eq $Parameter
        $bound | Should -Not -BeNullOrEmpty
        $bound.IsMandatory | Should -Be $Mandatory
        $bound.Position | Should -Be $Position
    }

    It 'takes -Name as String[] with wildcards, -Id as Int32[] and -Conninfo as String[]' {
        $command.Parameters['Name'].ParameterType | Should -Be ([string[]])
        $command.Parameters['Name'].Attributes.TypeId.Name | Should -Contain 'SupportsWildcardsAttribute'
        $command.Parameters['Id'].ParameterType | Should -Be ([int[]])
        $command.Parameters['Conninfo'].ParameterType | Should -Be ([string[]])
    }

    It 'completes -Name with the registered node names' {
        $command.Parameters['Name'].Attributes.TypeId.Name | Should -Contain 'ArgumentCompleterAttribute'
    }

    It 'takes nothing from the pipeline' {
        $command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true } | Should -BeNullOrEmpty
    }

    It 'declares PgHa.PgHaNode as its output type' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaNode'
    }

    It 'cannot take -Name and -Id together' {
        { Get-PgHaNode -Conninfo 'host=pg1 dbname=pgha' -Name pg1 -Id 1 } | Should -Throw -ErrorId 'AmbiguousParameterSet,PgHa.Cmdlets.GetPgHaNodeCommand'
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Get-PgHaNode -Conninfo "host='unterminated" } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.GetPgHaNodeCommand'
    }
}

Describe 'Get-PgHaNode against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $nodes = @(Get-PgHaNode -Conninfo $ci)
        $primary = $nodes | Where-Object { $_.Role -eq 'Primary' -and $_.Active }
        $standby = $nodes | Where-Object { $_.Role -eq 'Standby' -and $_.Status -eq 'Running' } | Select-Object -First 1
    }

    It 'returns one PgHaNode per registered node, with one active running primary' {
        $nodes | Should -Not -BeNullOrEmpty
        $nodes | ForEach-Object { $_ | Should -BeOfType 'PgHa.PgHaNode' }
        @($primary).Count | Should -Be 1
        $primary.Status | Should -Be 'Running'
        @($nodes.Id | Sort-Object -Unique).Count | Should -Be $nodes.Count
    }

    It 'gets a node by exact name, by wildcard and by id' {
        (Get-PgHaNode -Conninfo $ci -Name $primary.Name).Id | Should -Be $primary.Id
        (Get-PgHaNode -Conninfo $ci -Name ($primary.Name.Substring(0, 1) + '*')).Name | Should -Contain $primary.Name
        (Get-PgHaNode -Conninfo $ci -Id $primary.Id).Name | Should -Be $primary.Name
    }

    It 'reports an unknown name with PgHaNodeNotFound and still returns the others' {
        $found = Get-PgHaNode -Conninfo $ci -Name $primary.Name, 'no-such-node' -ErrorVariable notFound -ErrorAction SilentlyContinue
        @($found).Count | Should -Be 1
        $notFound[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeNotFound,*'
    }

    It 'matches names exactly: a name that differs only in case finds nothing, and the error names the registered one' {
        $upper = $primary.Name.ToUpperInvariant()
        if ($upper -ceq $primary.Name) { Set-ItResult -Skipped -Because 'the primary''s name has no lower-case letter' }
        Get-PgHaNode -Conninfo $ci -Name $upper -ErrorVariable notFound -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $notFound[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeNotFound,*'
        $notFound[0].Exception.Message | Should -BeLike "*'$($primary.Name)' is*"
    }

    It 'returns nothing and no error for a pattern that matches nothing' {
        Get-PgHaNode -Conninfo $ci -Name 'no-such-node*' -ErrorVariable noMatch | Should -BeNullOrEmpty
        $noMatch | Should -BeNullOrEmpty
    }

    It 'reads the same nodes through a standby''s replicated metadata' {
        if (-not $standby) { Set-ItResult -Skipped -Because 'the cluster has no running standby' }
        $viaStandby = Get-PgHaNode -Conninfo $standby.Conninfo
        @($viaStandby.Name | Sort-Object) | Should -Be @($nodes.Name | Sort-Object)
    }

    It 'carries the metadata conninfo, without password, for the next command in the pipeline' {
        foreach ($node in $nodes) {
            $node.MetadataConninfo | Should -Not -BeNullOrEmpty
            $node.MetadataConninfo | Should -Not -Match 'password'
            $node.Conninfo | Should -Not -Match 'password'
        }
    }

    It 'serializes to JSON without cycles' {
        ($nodes | ConvertTo-Json -Depth 3 | ConvertFrom-Json).Name | Should -Be $nodes.Name
    }
}
