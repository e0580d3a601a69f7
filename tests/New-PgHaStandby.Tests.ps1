#Requires -Version 7.4
# Pester 5 tests of New-PgHaStandby against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract and the argument checks made before any server is contacted.
#   Integration: clones from the primary of the run's shared sandbox (tests/PgHaTestSupport.psm1: node1
#                primary, node2 and node3 standbys, a witness): dry runs, refused clones, and one clone
#                into a new folder under /tmp that is not started and is deleted afterwards. Needs root
#                (the servers run as postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'New-PgHaStandby parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name New-PgHaStandby -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        # Never contacted: the argument checks below end the call first.
        $nowhere = 'host=127.0.0.1 port=1 dbname=pgha connect_timeout=1'
    }

    It 'has exactly the documented parameters' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('AcceptNewHostKey', 'AllowNonEmpty', 'Checkpoint', 'ConnectTimeout', 'Conninfo', 'Credential', 'DataDirectory', 'EventAction',
            'EventCommand', 'Force', 'Id', 'KnownHostsFile', 'Location', 'MaxRate', 'Name', 'PgBinDir', 'Priority', 'Register',
            'ReplicationUser', 'ServerSettings', 'SlotName', 'Source', 'SourceConninfo', 'SshCredential', 'SshHost', 'SshKeyFile',
            'SshPort', 'SshUser', 'Start', 'UseReplicationSlot', 'Wait')
    }

    It 'has the parameter sets Source (default) and SourceConninfo' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('Source', 'SourceConninfo')
        $command.DefaultParameterSet | Should -Be 'Source'
    }

    It 'binds -<Parameter> in set <Set>: mandatory <Mandatory>, position <Position>' -ForEach @(
        @{ Parameter = 'Name'; Set = 'Source'; Mandatory = $true; Position = 0 }
        @{ Parameter = 'Name'; Set = 'SourceConninfo'; Mandatory = $true; Position = 0 }
        @{ Parameter = 'Source'; Set = 'Source'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'SourceConninfo'; Set = 'SourceConninfo'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'DataDirectory'; Set = 'Source'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'DataDirectory'; Set = 'SourceConninfo'; Mandatory = $true; Position = [int]::MinValue }
        @{ Parameter = 'Conninfo'; Set = 'Source'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'Force'; Set = 'SourceConninfo'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'AllowNonEmpty'; Set = 'Source'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'AllowNonEmpty'; Set = 'SourceConninfo'; Mandatory = $false; Position = [int]::MinValue }
        @{ Parameter = 'Register'; Set = 'Source'; Mandatory = $false; Position = [int]::MinValue }
    ) {
        # PowerShell variables ignore case: new names keep $Set and $Parameter intact.
        $setInfo = $command.ParameterSets | Where-Object Name -eq $Set
        $bound = $setInfo.Parameters | Where-Object Name -eq $Parameter
        $bound | Should -Not -BeNullOrEmpty
        $bound.IsMandatory | Should -Be $Mandatory
        $bound.Position | Should -Be $Position
    }

    It 'takes nodes from the pipeline into -Source, and nothing else' {
        $command.Parameters['Source'].ParameterType.FullName | Should -Be 'PgHa.PgHaNode'
        $command.Parameters['Source'].ParameterSets['Source'].ValueFromPipeline | Should -BeTrue
        $fromPipeline = @($command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true })
        $fromPipeline.Name | Should -Be @('Source')
    }

    It 'has the SSH client parameters of the commands that reach a node''s host' {
        foreach ($name in 'SshHost', 'SshPort', 'SshUser', 'SshKeyFile', 'SshCredential', 'KnownHostsFile', 'AcceptNewHostKey') {
            $command.Parameters.ContainsKey($name) | Should -BeTrue -Because "-$name reaches the target host"
        }
        $command.Parameters['SshCredential'].ParameterType | Should -Be ([pscredential])
        $command.Parameters['Credential'].ParameterType | Should -Be ([pscredential])
    }

    It 'supports -WhatIf and -Confirm with high impact (with -Force it replaces a data directory)' {
        $command.Parameters['AllowNonEmpty'].ParameterType | Should -Be ([switch])
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        $command.Parameters.ContainsKey('Confirm') | Should -BeTrue
        $cmdletAttribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $cmdletAttribute.ConfirmImpact | Should -Be 'High'
    }

    It 'declares PgHa.PgHaStandbyClone and PgHa.PgHaCloneCheck as its output types' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaStandbyClone'
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaCloneCheck'
    }

    It 'offers -Checkpoint Fast (the default) and Spread only' {
        $validateSet = $command.Parameters['Checkpoint'].Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
        @($validateSet.ValidValues | Sort-Object) | Should -Be @('Fast', 'Spread')
        { New-PgHaStandby -SourceConninfo $nowhere -Name pg9 -DataDirectory /tmp/pgha-never -Checkpoint Slow -WhatIf } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.NewPgHaStandbyCommand'
    }

    It 'refuses a node name that is not 1 to 63 letters, digits, dots, dashes or underscores, before connecting' {
        foreach ($bad in 'bad name!', '', "node2`n", ('n' * 64), 'nœud') {
            { New-PgHaStandby -SourceConninfo $nowhere -Name $bad -DataDirectory /tmp/pgha-never -WhatIf } | Should -Throw -ErrorId 'PgHaNodeNameInvalid,PgHa.Cmdlets.NewPgHaStandbyCommand'
        }
    }

    It 'refuses a blank -DataDirectory before connecting' {
        { New-PgHaStandby -SourceConninfo $nowhere -Name pg9 -DataDirectory '   ' -WhatIf } | Should -Throw -ErrorId 'PgHaDirectoryPathInvalid,PgHa.Cmdlets.NewPgHaStandbyCommand'
    }

    It 'refuses a slot name PostgreSQL would not accept' {
        { New-PgHaStandby -SourceConninfo $nowhere -Name pg9 -DataDirectory /tmp/pgha-never -SlotName 'Pg-9' -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.NewPgHaStandbyCommand'
    }

    It 'refuses a -MaxRate that is not a number of kB, k or M' {
        { New-PgHaStandby -SourceConninfo $nowhere -Name pg9 -DataDirectory /tmp/pgha-never -MaxRate '50MB' -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.NewPgHaStandbyCommand'
    }

    It 'rejects a malformed -SourceConninfo with PgHaConninfoInvalid before connecting' {
        { New-PgHaStandby -SourceConninfo "host='unterminated" -Name pg9 -DataDirectory /tmp/pgha-never -WhatIf } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.NewPgHaStandbyCommand'
    }

    It 'needs the standby''s own -Conninfo for -Start and -Register (PgHaConninfoRequired)' {
        { New-PgHaStandby -SourceConninfo $nowhere -Name pg9 -DataDirectory /tmp/pgha-never -Start -WhatIf } | Should -Throw -ErrorId 'PgHaConninfoRequired,PgHa.Cmdlets.NewPgHaStandbyCommand'
        { New-PgHaStandby -SourceConninfo $nowhere -Name pg9 -DataDirectory /tmp/pgha-never -Register -WhatIf } | Should -Throw -ErrorId 'PgHaConninfoRequired,PgHa.Cmdlets.NewPgHaStandbyCommand'
    }

    It 'refuses -ServerSettings <Key>, which PgHa writes itself or is no parameter name (PgHaServerSettingInvalid)' -ForEach @(
        @{ Key = 'primary_conninfo' }
        @{ Key = 'primary_slot_name' }
        @{ Key = 'port = 5433 #' }
    ) {
        { New-PgHaStandby -SourceConninfo $nowhere -Name pg9 -DataDirectory /tmp/pgha-never -ServerSettings @{ $Key = 'x' } -WhatIf } |
            Should -Throw -ErrorId 'PgHaServerSettingInvalid,PgHa.Cmdlets.NewPgHaStandbyCommand'
    }
}

Describe 'New-PgHaStandby against a real primary' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        $dir = New-PgHaTestPath -Prefix 'pgha-pester-clone'
        $primary = Get-PgHaNode -Conninfo $ci | Where-Object { $_.Role -eq 'Primary' -and $_.Active } | Select-Object -First 1
        $settings = @{}
        $name = 'pgha-test-clone'
        $cloneEvents = { @(Get-PgHaEvent -Conninfo $ci -Event standby_clone -Limit 0).Count }
    }

    AfterAll {
        if ($dir -and (Test-Path -LiteralPath $dir)) { Remove-Item -LiteralPath $dir -Recurse -Force }
        # A slot made for the clone would hold WAL on the shared sandbox's primary for the rest of the run.
        & /usr/lib/postgresql/15/bin/psql -X -q -d $ci -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%test%clone%' AND NOT active" | Out-Null
    }

    It '-WhatIf returns the checks, all passed or warned, and writes nothing' {
        $before = & $cloneEvents
        $checks = @($primary | New-PgHaStandby -Name $name -DataDirectory $dir -ServerSettings $settings -WhatIf)
        $checks.Count | Should -BeGreaterThan 5
        $checks[0].PSObject.TypeNames[0] | Should -Be 'PgHa.PgHaCloneCheck'
        $checks[0].Check | Should -Be 'SourceReachable'
        $checks.Check | Should -Contain 'ReplicationAccess'
        $checks.Check | Should -Contain 'TargetDirectory'
        $checks | Where-Object Status -eq 'Failed' | Should -BeNullOrEmpty
        Test-Path -LiteralPath $dir | Should -BeFalse
        & $cloneEvents | Should -Be $before
    }

    It 'fails with PgHaCloneSourceUnreachable for a source that does not answer' {
        New-PgHaStandby -SourceConninfo 'host=127.0.0.1 port=1 dbname=pgha' -Name $name -DataDirectory $dir -ConnectTimeout 2 -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -Be 'PgHaCloneSourceUnreachable,PgHa.Cmdlets.NewPgHaStandbyCommand'
        Test-Path -LiteralPath $dir | Should -BeFalse
    }

    It 'fails with PgHaCloneProgramNotFound for a bindir without pg_basebackup, and writes nothing' {
        $primary | New-PgHaStandby -Name $name -DataDirectory $dir -PgBinDir /nonexistent/bin -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $refused.FullyQualifiedErrorId | Should -Contain 'PgHaCloneProgramNotFound,PgHa.Cmdlets.NewPgHaStandbyCommand'
        Test-Path -LiteralPath $dir | Should -BeFalse
    }

    It 'clones a configured, complete standby directory without starting it' {
        $clone = $primary | New-PgHaStandby -Name $name -DataDirectory $dir -ServerSettings $settings -Confirm:$false
        $clone.PSObject.TypeNames[0] | Should -Be 'PgHa.PgHaStandbyClone'
        $clone.Source | Should -Be $primary.Name
        $clone.Started | Should -BeFalse
        $clone.Registered | Should -BeFalse
        $clone.Changed | Should -BeTrue
        $clone.CopiedKilobytes | Should -BeGreaterThan 0
        $clone.PrimaryConninfo | Should -Match "application_name=$name"
        $clone.PrimaryConninfo | Should -Not -Match 'password'
        Test-Path -LiteralPath (Join-Path $dir 'standby.signal') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $dir 'pgha.clone-incomplete') | Should -BeFalse
    }

    It 'refuses the cloned directory without -Force (PgHaCloneTargetNotEmpty) and leaves it as it was' {
        if (-not (Test-Path -LiteralPath $dir)) { Set-ItResult -Skipped -Because 'the clone above did not run' }
        $primary | New-PgHaStandby -Name $name -DataDirectory $dir -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $refused.FullyQualifiedErrorId | Should -Contain 'PgHaCloneTargetNotEmpty,PgHa.Cmdlets.NewPgHaStandbyCommand'
        Test-Path -LiteralPath (Join-Path $dir 'PG_VERSION') | Should -BeTrue
    }

    It '-Force -WhatIf reports the replacement as a warning and deletes nothing' {
        if (-not (Test-Path -LiteralPath $dir)) { Set-ItResult -Skipped -Because 'the clone above did not run' }
        $checks = @($primary | New-PgHaStandby -Name $name -DataDirectory $dir -Force -WhatIf -WarningAction SilentlyContinue)
        ($checks | Where-Object Check -eq 'TargetDirectory').Status | Should -Be 'Warning'
        Test-Path -LiteralPath (Join-Path $dir 'PG_VERSION') | Should -BeTrue
    }
}
