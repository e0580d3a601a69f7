#Requires -Version 7.4
# Pester 5 tests of Unregister-PgHaNode against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract; no server needed.
#   Integration: refused and -WhatIf removals on the run's shared sandbox (tests/PgHaTestSupport.psm1:
#                node1 primary, node2 and node3 standbys, a witness), then node3 stopped and really
#                unregistered; it is started and registered again afterwards. Needs root (the servers run
#                as postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Unregister-PgHaNode parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Unregister-PgHaNode -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the documented parameters' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'ConnectTimeout', 'Conninfo', 'Credential', 'EventAction', 'EventCommand', 'Force', 'Id',
            'InputObject', 'KnownHostsFile', 'Name', 'PassThru', 'SshCredential', 'SshKeyFile')
    }

    It 'has the parameter sets Name (default), Id and InputObject' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('Id', 'InputObject', 'Name')
        $command.DefaultParameterSet | Should -Be 'Name'
    }

    It 'binds -<Parameter> in set <Set>: mandatory <Mandatory>, position <Position>' -ForEach @(
        @{ Parameter = 'Name'; Set = 'Name'; Mandatory = $true; Position = 0 }
        @{ Parameter = 'Conninfo'; Set = 'Name'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'Id'; Set = 'Id'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'Conninfo'; Set = 'Id'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'InputObject'; Set = 'InputObject'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'Force'; Set = 'InputObject'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'PassThru'; Set = 'Id'; Mandatory = $false; Position = [int]::MinValue }
    ) {
        # PowerShell variables ignore case: new names keep $Set and $Parameter intact.
        $setInfo = $command.ParameterSets | Where-Object Name -eq $Set
        $bound = $setInfo.Parameters | Where-Object Name -eq $Parameter
        $bound | Should -Not -BeNullOrEmpty
        $bound.IsMandatory | Should -Be $Mandatory
        $bound.Position | Should -Be $Position
    }

    It 'needs no -Conninfo for a piped node' {
        $command.Parameters['Conninfo'].ParameterSets.ContainsKey('InputObject') | Should -BeFalse
    }

    It 'takes one node at a time from the pipeline into -InputObject, and nothing else' {
        $command.Parameters['InputObject'].ParameterType.FullName | Should -Be 'PgHa.PgHaNode'
        $command.Parameters['InputObject'].ParameterSets['InputObject'].ValueFromPipeline | Should -BeTrue
        $fromPipeline = @($command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true })
        $fromPipeline.Name | Should -Be @('InputObject')
    }

    It 'takes -Name as one exact name (no wildcards) and -Id as one Int32' {
        $command.Parameters['Name'].ParameterType | Should -Be ([string])
        $command.Parameters['Name'].Attributes.TypeId.Name | Should -Not -Contain 'SupportsWildcardsAttribute'
        $command.Parameters['Id'].ParameterType | Should -Be ([int])
    }

    It 'supports -WhatIf and -Confirm with high impact, so it asks by default' {
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        $command.Parameters.ContainsKey('Confirm') | Should -BeTrue
        $cmdletAttribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $cmdletAttribute.ConfirmImpact | Should -Be 'High'
    }

    It 'declares PgHa.PgHaNodeRegistration (with -PassThru) as its output type' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaNodeRegistration'
        $command.Parameters['PassThru'].SwitchParameter | Should -BeTrue
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Unregister-PgHaNode -Conninfo 'host=127.0.0.1 nosuchkeyword=1' -Name pg3 -Confirm:$false } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.UnregisterPgHaNodeCommand'
    }
}

Describe 'Unregister-PgHaNode against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $nodes = @(Get-PgHaNode -Conninfo $ci)
        $primary = $nodes | Where-Object { $_.Role -eq 'Primary' -and $_.Active -and $_.Status -eq 'Running' }
        $standby = $nodes | Where-Object { $_.Role -eq 'Standby' -and $_.Active -and $_.AttachedToUpstream } | Select-Object -First 1

        # What the metadata records, without the live state: equal before and after means nothing was written.
        function Get-TestRegistrationState {
            $records = Get-PgHaNode -Conninfo $ci | ForEach-Object {
                '{0}|{1}|{2}|{3}|{4}|{5}|{6}|{7}' -f $_.Id, $_.Name, $_.Role, $_.Upstream, $_.Location, $_.Priority, $_.Conninfo, $_.Active
            }
            $eventCount = @(Get-PgHaEvent -Conninfo $ci -Limit 0).Count
            ($records -join "`n") + "`nevents: $eventCount"
        }
    }

    AfterAll {
        # Puts the shared sandbox back: the standby removed above runs and is registered again as it was.
        if ($script:unregistered) {
            $node = $script:unregistered
            Start-PgHaNode -DataDirectory $node.DataDirectory | Out-Null
            $null = Wait-PgHaTestCondition -Seconds 30 -Condition {
                (Get-PgHaCluster -Conninfo $ci -WarningAction SilentlyContinue).Primary -and
                @(& /usr/lib/postgresql/15/bin/psql -X -A -t -d $primary.Conninfo -c "SELECT 1 FROM pg_stat_replication WHERE application_name = '$($node.Name)' AND state = 'streaming'") -contains '1'
            }
            Register-PgHaNode -Role Standby -Name $node.Name -Id $node.Id -Conninfo $node.Conninfo -Location $node.Location -Priority $node.Priority -DataDirectory $node.DataDirectory -Confirm:$false | Out-Null
        }
    }

    It 'reports an unknown node with PgHaNodeNotFound and removes nothing' {
        $before = Get-TestRegistrationState
        Unregister-PgHaNode -Conninfo $ci -Name 'no-such-node' -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeNotFound,*'
        Unregister-PgHaNode -Conninfo $ci -Id 999999 -Confirm:$false -ErrorVariable refusedId -ErrorAction SilentlyContinue
        $refusedId[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeNotFound,*'
        Get-TestRegistrationState | Should -Be $before
    }

    It 'refuses a streaming standby without -Force (PgHaNodeStillActive)' {
        if (-not $standby) { Set-ItResult -Skipped -Because 'the cluster has no streaming standby' }
        $before = Get-TestRegistrationState
        Unregister-PgHaNode -Conninfo $ci -Name $standby.Name -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeStillActive,*'
        Get-TestRegistrationState | Should -Be $before
    }

    It 'refuses the running primary without -Force (PgHaNodeStillActive)' {
        $before = Get-TestRegistrationState
        Unregister-PgHaNode -Conninfo $ci -Id $primary.Id -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeStillActive,*'
        Get-TestRegistrationState | Should -Be $before
    }

    It '-WhatIf on a piped node removes nothing and returns nothing, even with -Force' {
        if (-not $standby) { Set-ItResult -Skipped -Because 'the cluster has no streaming standby' }
        $before = Get-TestRegistrationState
        Get-PgHaNode -Conninfo $ci -Name $standby.Name | Unregister-PgHaNode -Force -PassThru -WhatIf | Should -BeNullOrEmpty
        Get-TestRegistrationState | Should -Be $before
    }

    It 'removes a stopped standby, writes a standby_unregister event, and a second call finds nothing' {
        $name = 'node3'
        $script:unregistered = $nodes | Where-Object Name -eq $name
        Stop-PgHaNode -Conninfo $ci -Name $name -Mode Fast | Out-Null
        $removed = Get-PgHaNode -Conninfo $ci -Name $name | Unregister-PgHaNode -Confirm:$false -PassThru
        $removed.Name | Should -Be $name
        $removed.Action | Should -Be 'Unregistered'
        $removed.Changed | Should -BeTrue
        Get-PgHaNode -Conninfo $primary.Conninfo -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-PgHaEvent -Conninfo $primary.Conninfo -Event standby_unregister -Limit 1).NodeName | Should -Be $name

        Unregister-PgHaNode -Conninfo $primary.Conninfo -Name $name -Confirm:$false -ErrorVariable again -ErrorAction SilentlyContinue
        $again[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeNotFound,*'
    }
}
