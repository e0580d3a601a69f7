#Requires -Version 7.4
# Pester 5 tests of Register-PgHaNode against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract and argument checks; no server needed.
#   Integration: registers the nodes of the run's shared sandbox (tests/PgHaTestSupport.psm1: node1
#                primary, node2 and node3 standbys, a witness) again with their recorded settings and
#                tries refused or -WhatIf registrations: they must leave the metadata exactly as they
#                found it. Needs root (the servers run as postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Register-PgHaNode parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Register-PgHaNode -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the documented parameters' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'Config', 'ConnectTimeout', 'Conninfo', 'Credential', 'DataDirectory', 'EventAction',
            'EventCommand', 'Force', 'Id', 'KnownHostsFile', 'Location', 'MonitorPort', 'Name', 'PgBinDir', 'PrimaryConninfo', 'Priority',
            'Role', 'SlotName', 'SshCredential', 'SshHost', 'SshKeyFile', 'SshPort', 'SshUser', 'Upstream')
    }

    It 'has the parameter sets Conninfo (default) and Config' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('Config', 'Conninfo')
        $command.DefaultParameterSet | Should -Be 'Conninfo'
    }

    It 'binds -<Parameter> in set <Set>: mandatory <Mandatory>, position <Position>' -ForEach @(
        @{ Parameter = 'Role'; Set = 'Conninfo'; Mandatory = $true; Position = 0 }
        @{ Parameter = 'Role'; Set = 'Config'; Mandatory = $true; Position = 0 }
        @{ Parameter = 'Conninfo'; Set = 'Conninfo'; Mandatory = $true; Position = 1 }
        @{ Parameter = 'Name'; Set = 'Conninfo'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'Id'; Set = 'Conninfo'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'Config'; Set = 'Config'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'Upstream'; Set = 'Config'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'PrimaryConninfo'; Set = 'Conninfo'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'Force'; Set = 'Config'; Mandatory = $false; Position = [int]::MinValue }
    ) {
        # PowerShell variables ignore case: new names keep $Set and $Parameter intact.
        $setInfo = $command.ParameterSets | Where-Object Name -eq $Set
        $bound = $setInfo.Parameters | Where-Object Name -eq $Parameter
        $bound | Should -Not -BeNullOrEmpty
        $bound.IsMandatory | Should -Be $Mandatory
        $bound.Position | Should -Be $Position
    }

    It 'keeps the node settings out of the Config set' -ForEach @('Conninfo', 'Name', 'Id', 'Location', 'Priority', 'DataDirectory', 'PgBinDir', 'SlotName') {
        $command.Parameters[$_].ParameterSets.Keys | Should -Be @('Conninfo')
    }

    It 'takes -Role as a PgHaRole of Primary, Standby or Witness' {
        $command.Parameters['Role'].ParameterType.FullName | Should -Be 'PgHa.PgHaRole'
        [Enum]::GetNames($command.Parameters['Role'].ParameterType) | Should -Be @('Primary', 'Standby', 'Witness')
    }

    It 'takes node configurations from the pipeline into -Config, and nothing else' {
        $command.Parameters['Config'].ParameterType.FullName | Should -Be 'PgHa.PgHaNodeConfig'
        $command.Parameters['Config'].ParameterSets['Config'].ValueFromPipeline | Should -BeTrue
        $fromPipeline = @($command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true })
        $fromPipeline.Name | Should -Be @('Config')
    }

    It 'supports -WhatIf and -Confirm with medium impact' {
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        $command.Parameters.ContainsKey('Confirm') | Should -BeTrue
        $cmdletAttribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $cmdletAttribute.ConfirmImpact | Should -Be 'Medium'
    }

    It 'declares PgHa.PgHaNodeRegistration as its output type' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaNodeRegistration'
    }

    It 'refuses a node name that is not 1 to 63 letters, digits, dots, dashes or underscores, before connecting' {
        foreach ($bad in 'bad name!', '', "node2`n", ('n' * 64), 'nœud') {
            { Register-PgHaNode -Role Standby -Name $bad -Conninfo 'host=pg2 dbname=pgha' -WhatIf } | Should -Throw -ErrorId 'PgHaNodeNameInvalid,PgHa.Cmdlets.RegisterPgHaNodeCommand'
        }
    }

    It 'refuses a role that does not exist' {
        { Register-PgHaNode -Role Master -Name pg1 -Conninfo 'host=pg1 dbname=pgha' -WhatIf } | Should -Throw
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Register-PgHaNode -Role Standby -Name nodex -Conninfo "host='unterminated" -WhatIf } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.RegisterPgHaNodeCommand'
    }

    It 'rejects a malformed -PrimaryConninfo with PgHaConninfoInvalid before connecting' {
        { Register-PgHaNode -Role Witness -Name witness1 -Conninfo 'host=pgw dbname=pgha' -PrimaryConninfo 'host=127.0.0.1 nosuchkeyword=1' -WhatIf } |
            Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.RegisterPgHaNodeCommand'
    }
}

Describe 'Register-PgHaNode against a real cluster' -Tag Integration {
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

        # The settings a node was registered with, as Register-PgHaNode parameters.
        function Get-TestRecordedSettings {
            param($Node)
            $settings = @{
                Name          = $Node.Name
                Conninfo      = $Node.Conninfo
                Id            = $Node.Id
                Location      = $Node.Location
                Priority      = $Node.Priority
                DataDirectory = $Node.DataDirectory
                SlotName      = $Node.SlotName
            }
            # Recorded only for some nodes (New-PgHaSandbox records the standbys' bindir).
            if ($Node.PgBinDir) { $settings.PgBinDir = $Node.PgBinDir }
            $settings
        }
    }

    It 'registering the primary again with its recorded settings changes nothing' {
        $before = Get-TestRegistrationState
        $settings = Get-TestRecordedSettings -Node $primary
        $result = Register-PgHaNode -Role Primary @settings -Confirm:$false
        $result.Action | Should -Be 'Unchanged'
        $result.Changed | Should -BeFalse
        $result.NodeId | Should -Be $primary.Id
        Get-TestRegistrationState | Should -Be $before
    }

    It 'registering a standby again with its recorded settings changes nothing' {
        if (-not $standby) { Set-ItResult -Skipped -Because 'the cluster has no streaming standby' }
        $before = Get-TestRegistrationState
        $settings = Get-TestRecordedSettings -Node $standby
        $result = Register-PgHaNode -Role Standby @settings -Confirm:$false
        $result.Action | Should -Be 'Unchanged'
        $result.Changed | Should -BeFalse
        $result.Upstream | Should -Be $standby.Upstream
        Get-TestRegistrationState | Should -Be $before
    }

    It '-WhatIf runs the checks, writes nothing and returns nothing' {
        if (-not $standby) { Set-ItResult -Skipped -Because 'the cluster has no streaming standby' }
        $before = Get-TestRegistrationState
        $settings = Get-TestRecordedSettings -Node $standby
        $settings.Priority = $standby.Priority + 1
        Register-PgHaNode -Role Standby @settings -Force -WhatIf | Should -BeNullOrEmpty
        Get-TestRegistrationState | Should -Be $before
    }

    It 'refuses other settings for a registered node without -Force (PgHaNodeAlreadyRegistered)' {
        $before = Get-TestRegistrationState
        $settings = Get-TestRecordedSettings -Node $primary
        $settings.Priority = $primary.Priority + 1
        Register-PgHaNode -Role Primary @settings -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeAlreadyRegistered,*'
        Get-TestRegistrationState | Should -Be $before
    }

    It 'refuses the primary as a standby (PgHaRoleMismatch)' {
        $before = Get-TestRegistrationState
        Register-PgHaNode -Role Standby -Name $primary.Name -Conninfo $primary.Conninfo -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'PgHaRoleMismatch,*'
        Get-TestRegistrationState | Should -Be $before
    }

    It 'refuses a registered name under another id (PgHaNodeNameInUse)' {
        if (-not $standby) { Set-ItResult -Skipped -Because 'the cluster has no streaming standby' }
        $before = Get-TestRegistrationState
        $unusedId = ($nodes.Id | Measure-Object -Maximum).Maximum + 1000
        Register-PgHaNode -Role Standby -Name $standby.Name -Id $unusedId -Conninfo $standby.Conninfo -Location $standby.Location -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeNameInUse,*'
        Get-TestRegistrationState | Should -Be $before
    }

    It 'refuses a second primary while the registered one runs (PgHaPrimaryAlreadyRegistered)' {
        $before = Get-TestRegistrationState
        # The running primary under a new name: the role check passes, the one-primary rule does not.
        Register-PgHaNode -Role Primary -Name 'pgha-test-second-primary' -Conninfo $primary.Conninfo -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'PgHaPrimaryAlreadyRegistered,*'
        Get-TestRegistrationState | Should -Be $before
    }

    It 'fails with PgHaNodeUnreachable for a server that does not answer' {
        Register-PgHaNode -Role Primary -Name nodex -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -ConnectTimeout 2 -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeUnreachable,*'
    }
}
