#Requires -Version 7.4
# Pester 5 tests of Get-PgHaEvent against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: read only, on the run's shared sandbox (tests/PgHaTestSupport.psm1: node1 primary, node2
#                and node3 standbys, a witness). Needs root (the servers run as postgres) and PostgreSQL
#                15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Get-PgHaEvent parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Get-PgHaEvent -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the documented parameters' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('After', 'Before', 'ConnectTimeout', 'Conninfo', 'Credential', 'Event', 'InputObject', 'Limit', 'NodeId', 'NodeName', 'Successful')
    }

    It 'has the parameter sets Conninfo (default) and InputObject' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('Conninfo', 'InputObject')
        $command.DefaultParameterSet | Should -Be 'Conninfo'
    }

    It 'takes -Conninfo as a mandatory String[] at position 0 in the Conninfo set' {
        $conninfo = $command.Parameters['Conninfo']
        $conninfo.ParameterType | Should -Be ([string[]])
        $conninfo.ParameterSets['Conninfo'].IsMandatory | Should -BeTrue
        $conninfo.ParameterSets['Conninfo'].Position | Should -Be 0
        $conninfo.ParameterSets.ContainsKey('InputObject') | Should -BeFalse
    }

    It 'takes PgHaNode objects from the pipeline into -InputObject, and nothing else' {
        $inputObject = $command.Parameters['InputObject']
        $inputObject.ParameterType.FullName | Should -Be 'PgHa.PgHaNode[]'
        $inputObject.ParameterSets['InputObject'].IsMandatory | Should -BeTrue
        $inputObject.ParameterSets['InputObject'].ValueFromPipeline | Should -BeTrue
        $fromPipeline = @($command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true })
        $fromPipeline.Name | Should -Be @('InputObject')
    }

    It 'filters by node name and id only in the Conninfo set' {
        $command.Parameters['NodeName'].ParameterSets.Keys | Should -Be @('Conninfo')
        $command.Parameters['NodeId'].ParameterSets.Keys | Should -Be @('Conninfo')
    }

    It 'filters by -<Parameter> of type <Type> in every set' -ForEach @(
        @{ Parameter = 'Event'; Type = [string[]] }
        @{ Parameter = 'After'; Type = [Nullable[datetime]] }
        @{ Parameter = 'Before'; Type = [Nullable[datetime]] }
        @{ Parameter = 'Successful'; Type = [Nullable[bool]] }
        @{ Parameter = 'Limit'; Type = [int] }
    ) {
        $command.Parameters[$Parameter].ParameterType | Should -Be $Type
        $command.Parameters[$Parameter].ParameterSets.Keys | Should -Be @('__AllParameterSets')
    }

    It 'accepts wildcards in -NodeName and -Event' {
        $command.Parameters['NodeName'].Attributes.TypeId.Name | Should -Contain 'SupportsWildcardsAttribute'
        $command.Parameters['Event'].Attributes.TypeId.Name | Should -Contain 'SupportsWildcardsAttribute'
    }

    It 'declares PgHa.PgHaEvent as its output type' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaEvent'
    }

    It 'refuses a negative -Limit' {
        { Get-PgHaEvent -Conninfo 'host=pg1 dbname=pgha' -Limit -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.GetPgHaEventCommand'
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Get-PgHaEvent -Conninfo 'host=127.0.0.1 nosuchkeyword=1' } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.GetPgHaEventCommand'
    }
}

Describe 'Get-PgHaEvent against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $primary = Get-PgHaNode -Conninfo $ci | Where-Object { $_.Role -eq 'Primary' -and $_.Active }
        $all = @(Get-PgHaEvent -Conninfo $ci -Limit 0)
    }

    It 'returns the 20 newest events by default, newest first' {
        $latest = @(Get-PgHaEvent -Conninfo $ci)
        $latest.Count | Should -Be ([Math]::Min(20, $all.Count))
        for ($i = 1; $i -lt $latest.Count; $i++) {
            $latest[$i].Timestamp | Should -BeLessOrEqual $latest[$i - 1].Timestamp
        }
        $latest | ForEach-Object { $_ | Should -BeOfType 'PgHa.PgHaEvent' }
    }

    It 'holds the registration of the current primary' {
        $registrations = Get-PgHaEvent -Conninfo $ci -Event primary_register -NodeId $primary.Id -Limit 0
        $registrations | Should -Not -BeNullOrEmpty
        $registrations | ForEach-Object { $_.NodeName | Should -Be $primary.Name }
    }

    It 'returns only events of the types asked for' {
        Get-PgHaEvent -Conninfo $ci -Event '*_register' -Limit 0 | ForEach-Object { $_.Event | Should -BeLike '*_register' }
    }

    It 'returns only the events of a node piped from Get-PgHaNode' {
        $piped = @(Get-PgHaNode -Conninfo $ci -Name $primary.Name | Get-PgHaEvent -Limit 0)
        $piped | Should -Not -BeNullOrEmpty
        $piped | ForEach-Object { $_.NodeId | Should -Be $primary.Id }
    }

    It 'returns nothing after a time in the future' {
        Get-PgHaEvent -Conninfo $ci -After (Get-Date).AddHours(1) | Should -BeNullOrEmpty
    }

    It 'filters on success' {
        Get-PgHaEvent -Conninfo $ci -Successful $true -Limit 0 | ForEach-Object { $_.Successful | Should -BeTrue }
    }

    It 'applies -Limit after the filters' {
        # Newer events of other types do not use up the limit.
        $newestRegistration = @(Get-PgHaEvent -Conninfo $ci -Event primary_register -Limit 1)
        $newestRegistration.Count | Should -Be 1
        $newestRegistration[0].Id | Should -Be ($all | Where-Object Event -eq 'primary_register' | Select-Object -First 1).Id
    }
}
