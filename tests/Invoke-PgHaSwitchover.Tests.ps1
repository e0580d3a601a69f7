#Requires -Version 7.4
# Pester 5 tests of Invoke-PgHaSwitchover against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract and the argument checks made before any server is contacted.
#   Integration: on the run's shared sandbox (tests/PgHaTestSupport.psm1: node1 primary, node2 and node3
#                standbys, a witness): dry runs, refusals, a no-op, one switchover to node2 and one back,
#                so the sandbox ends with the primary it started with. Needs root (the servers run as
#                postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Invoke-PgHaSwitchover parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Invoke-PgHaSwitchover -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the documented parameters' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'ConnectTimeout', 'Conninfo', 'Credential', 'EventAction', 'EventCommand', 'ForceRewind', 'InputObject',
            'KnownHostsFile', 'MaxArchiveReady', 'MaxLagBytes', 'Name', 'NoSiblingsFollow', 'SshCredential', 'SshKeyFile', 'Wait')
    }

    It 'has the parameter sets InputObject (default) and Name' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('InputObject', 'Name')
        $command.DefaultParameterSet | Should -Be 'InputObject'
    }

    It 'binds -<Parameter> in set <Set>: mandatory <Mandatory>, position <Position>' -ForEach @(
        @{ Parameter = 'InputObject'; Set = 'InputObject'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'Name'; Set = 'Name'; Mandatory = $true; Position = 0 }
        @{ Parameter = 'Conninfo'; Set = 'Name'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'NoSiblingsFollow'; Set = 'InputObject'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'ForceRewind'; Set = 'Name'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'MaxLagBytes'; Set = 'Name'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'Wait'; Set = 'InputObject'; Mandatory = $false; Position = [int]::MinValue }
    ) {
        # PowerShell variables ignore case: new names keep $Set and $Parameter intact.
        $setInfo = $command.ParameterSets | Where-Object Name -eq $Set
        $bound = $setInfo.Parameters | Where-Object Name -eq $Parameter
        $bound | Should -Not -BeNullOrEmpty
        $bound.IsMandatory | Should -Be $Mandatory
        $bound.Position | Should -Be $Position
    }

    It 'takes nodes from the pipeline into -InputObject, and nothing else' {
        $command.Parameters['InputObject'].ParameterType.FullName | Should -Be 'PgHa.PgHaNode'
        $command.Parameters['InputObject'].ParameterSets['InputObject'].ValueFromPipeline | Should -BeTrue
        $fromPipeline = @($command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true })
        $fromPipeline.Name | Should -Be @('InputObject')
    }

    It 'has the SSH client parameters of the commands that reach a node''s host' {
        foreach ($name in 'SshKeyFile', 'SshCredential', 'KnownHostsFile', 'AcceptNewHostKey') {
            $command.Parameters.ContainsKey($name) | Should -BeTrue -Because "-$name reaches the nodes' hosts"
        }
        $command.Parameters['SshCredential'].ParameterType | Should -Be ([pscredential])
        $command.Parameters['Credential'].ParameterType | Should -Be ([pscredential])
    }

    It 'takes an event hook: -EventCommand as a string and -EventAction as a scriptblock, optional in every set' {
        $command.Parameters['EventCommand'].ParameterType | Should -Be ([string])
        $command.Parameters['EventAction'].ParameterType | Should -Be ([scriptblock])
        foreach ($set in $command.ParameterSets) {
            $hook = @($set.Parameters | Where-Object Name -in 'EventCommand', 'EventAction')
            $hook.Count | Should -Be 2 -Because "set $($set.Name) takes both"
            $hook.IsMandatory | Should -Not -Contain $true
        }
    }

    It 'supports -WhatIf and -Confirm with high impact' {
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        $command.Parameters.ContainsKey('Confirm') | Should -BeTrue
        $cmdletAttribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $cmdletAttribute.ConfirmImpact | Should -Be 'High'
    }

    It 'declares PgHa.PgHaSwitchover as its output type' {
        $command.OutputType.Name | Should -Be @('PgHa.PgHaSwitchover')
    }

    It 'has the defaults -MaxLagBytes 16 MB, -MaxArchiveReady 16 and -Wait 60' {
        $instance = [Activator]::CreateInstance($command.ImplementingType)
        $instance.MaxLagBytes | Should -Be 16MB
        $instance.MaxArchiveReady | Should -Be 16
        $instance.Wait | Should -Be 60
    }

    It 'refuses -<Parameter> <Value> before contacting anything' -ForEach @(
        @{ Parameter = 'Wait'; Value = 0 }
        @{ Parameter = 'Wait'; Value = 3601 }
        @{ Parameter = 'MaxLagBytes'; Value = -1 }
        @{ Parameter = 'MaxArchiveReady'; Value = -1 }
        @{ Parameter = 'ConnectTimeout'; Value = 0 }
    ) {
        $arguments = @{ Name = 'pg2'; Conninfo = 'host=127.0.0.1 port=1 dbname=pgha connect_timeout=1'; $Parameter = $Value }
        { Invoke-PgHaSwitchover @arguments -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.InvokePgHaSwitchoverCommand'
    }

    It 'rejects a malformed -Conninfo with PgHaConninfoInvalid before connecting' {
        { Invoke-PgHaSwitchover -Name pg2 -Conninfo "host='unterminated" -WhatIf -ErrorAction Stop } |
            Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.InvokePgHaSwitchoverCommand'
    }
}

Describe 'Invoke-PgHaSwitchover against a real cluster' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $candidateName = 'node2'
        $primary = Get-PgHaNode -Conninfo $ci | Where-Object { $_.Role -eq 'Primary' -and $_.Active } | Select-Object -First 1
        $candidate = Get-PgHaNode -Conninfo $ci -Name $candidateName
        $switchoverEvents = { @(Get-PgHaEvent -Conninfo $ci -Event standby_switchover -Limit 0).Count }
    }

    It 'finds the primary and a candidate that is a standby' {
        $primary | Should -Not -BeNullOrEmpty
        $candidate.Role | Should -Be 'Standby'
        $candidate.Name | Should -Not -Be $primary.Name
    }

    It '-WhatIf runs the checks and changes nothing, so no event hook runs' {
        $before = & $switchoverEvents
        $hookLog = Join-Path $TestDrive 'whatif-hook.log'
        $candidate | Invoke-PgHaSwitchover -WhatIf -EventCommand "echo %e >> '$hookLog'" -WarningAction SilentlyContinue -ErrorVariable failed -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $failed | Should -BeNullOrEmpty
        Test-Path $hookLog | Should -BeFalse
        (Get-PgHaCluster -Conninfo $ci).Primary | Should -Be $primary.Name
        & $switchoverEvents | Should -Be $before
    }

    It 'switching to the current primary changes nothing (Changed = $false)' {
        $result = Invoke-PgHaSwitchover -Name $primary.Name -Conninfo $ci -Confirm:$false
        $result.PSObject.TypeNames[0] | Should -Be 'PgHa.PgHaSwitchover'
        $result.Changed | Should -BeFalse
        $result.NewPrimary | Should -Be $primary.Name
    }

    It 'fails with PgHaNodeNotFound for a name that is not registered' {
        Invoke-PgHaSwitchover -Name 'pgha-no-such-node' -Conninfo $ci -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -Be 'PgHaNodeNotFound,PgHa.Cmdlets.InvokePgHaSwitchoverCommand'
    }

    It 'fails with PgHaSwitchoverStandbyLagging when the lag limit cannot be met, and changes nothing' {
        # -MaxLagBytes 0 refuses any lag at all; a candidate that is exactly caught up passes instead.
        $candidate | Invoke-PgHaSwitchover -MaxLagBytes 0 -Confirm:$false -WarningAction SilentlyContinue -ErrorVariable refused -ErrorAction SilentlyContinue |
            Out-Null
        if ($refused) {
            $refused[0].FullyQualifiedErrorId | Should -Be 'PgHaSwitchoverStandbyLagging,PgHa.Cmdlets.InvokePgHaSwitchoverCommand'
            (Get-PgHaCluster -Conninfo $ci).Primary | Should -Be $primary.Name
        }
        else {
            # It was caught up and switched over: put the primary back for the tests that follow.
            Invoke-PgHaSwitchover -Name $primary.Name -Conninfo $ci -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        }
    }

    It 'switches over to the candidate, with the old primary following it, and runs the event hook for each event' {
        $hookLog = Join-Path $TestDrive 'switchover-hook.log'
        $seen = [System.Collections.Generic.List[object]]::new()
        $result = Get-PgHaNode -Conninfo $ci -Name $candidateName |
            Invoke-PgHaSwitchover -Confirm:$false -WarningAction SilentlyContinue `
                -EventCommand "printf '%%s|%%s|%%s|%%s\n' %e %a %s %t >> '$hookLog'" -EventAction { $seen.Add($_) }
        $result.Changed | Should -BeTrue
        $hooked = @(Get-Content $hookLog)
        $hooked[0] | Should -Match "^standby_switchover\|$([regex]::Escape($candidateName))\|1\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00$"
        @($hooked -match "^node_rejoin\|$([regex]::Escape($primary.Name))\|1\|").Count | Should -Be 1
        $seen.Count | Should -Be $hooked.Count
        $seen[0].PSObject.TypeNames[0] | Should -Be 'PgHa.PgHaEvent'
        $seen[0].Event | Should -Be 'standby_switchover'
        $seen[0].NodeName | Should -Be $candidateName
        $result.OldPrimary | Should -Be $primary.Name
        $result.NewPrimary | Should -Be $candidateName
        $result.HandedOverLsn | Should -Match '^[0-9A-F]+/[0-9A-F]+$'
        $result.Following | Should -Contain $primary.Name
        $result.OldPrimaryRejoin | Should -Be 'Direct'
        $result.WriteUnavailable | Should -BeLessThan $result.Duration
        $result.Steps.Name | Should -Contain "promote $candidateName"
        $cluster = Get-PgHaCluster -Conninfo $ci
        $cluster.Primary | Should -Be $candidateName
        (Get-PgHaNode -Conninfo $ci -Name $primary.Name).Role | Should -Be 'Standby'
    }

    It 'switches back to the original primary (-ForceRewind allowed, not needed after a clean handover)' {
        $result = Invoke-PgHaSwitchover -Name $primary.Name -Conninfo $ci -ForceRewind -Confirm:$false -WarningAction SilentlyContinue
        $result.Changed | Should -BeTrue
        $result.OldPrimaryRejoin | Should -Be 'Direct'
        $result.NewPrimary | Should -Be $primary.Name
        (Get-PgHaCluster -Conninfo $ci).Primary | Should -Be $primary.Name
        @(Get-PgHaEvent -Conninfo $ci -Event standby_switchover -Successful $true -Limit 2).Count | Should -Be 2
    }
}
