#Requires -Version 7.4
# Pester 5 tests of Start-PgHaMonitor against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract, the defaults, and the checks made before anything is connected
#                (conninfo, configuration file, the timing rule PgHaMonitorUnsafeTimeouts).
#   Integration: a real failover. Makes a sandbox (a primary, two standbys and a witness), runs one monitor
#                per node in background jobs, kills the primary's postmaster and checks that a standby is
#                promoted, the other follows and the old primary rejoins. Needs root (the servers then run
#                as postgres) and PostgreSQL 15 in /usr/lib/postgresql/15/bin. Set PGHA_TEST_SANDBOX=1 to
#                run it; PGHA_TEST_MONITOR_ADDRESS gives the first loopback address (127.0.15.1 by default).

BeforeAll {
    $manifest = Get-ChildItem "$PSScriptRoot/../output/PgHa/*/PgHa.psd1" | Select-Object -First 1
    if (-not $manifest) { throw 'No output/PgHa/<version>/PgHa.psd1: build the module first (./build.ps1 -Task Build).' }
    Import-Module $manifest.FullName -Force
}

Describe 'Start-PgHaMonitor parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Start-PgHaMonitor -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        # Nothing listens on port 1: a call that gets past every check fails to connect, fast.
        $nowhere = 'host=127.0.0.1 port=1 user=pgha dbname=pgha'
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be (@('AcceptNewHostKey', 'Config', 'ConnectTimeout', 'Conninfo', 'Credential', 'EventAction', 'EventCommand',
                'Failover', 'FenceTimeout', 'HttpAddress', 'HttpCertificateFile', 'HttpKeyFile', 'HttpPort', 'KnownHostsFile', 'LocalConninfo', 'LogFile', 'MonitorInterval', 'MonitoringHistoryInterval',
                'ManageServer', 'MonitoringHistoryRetentionDays', 'Name', 'ReconnectAttempts', 'ReconnectInterval', 'SecretFile', 'SshCredential', 'SshKeyFile',
                'StalePrimary', 'StateFile', 'SynchronousPolicy', 'SynchronousTimeout') | Sort-Object)
    }

    It 'has the parameter sets Name (default) and Config' {
        @($command.ParameterSets.Name | Sort-Object) | Should -Be @('Config', 'Name')
        $command.DefaultParameterSet | Should -Be 'Name'
    }

    It 'binds -<Parameter> in set <Set> at position <Position>, mandatory <Mandatory>' -ForEach @(
        @{ Parameter = 'Conninfo'; Set = 'Name'; Position = 0; Mandatory = $true }
        @{ Parameter = 'Name'; Set = 'Name'; Position = [int]::MinValue; Mandatory = $true }
        @{ Parameter = 'Config'; Set = 'Config'; Position = 0; Mandatory = $true }
        @{ Parameter = 'LocalConninfo'; Set = 'Config'; Position = [int]::MinValue; Mandatory = $false }
        @{ Parameter = 'FenceTimeout'; Set = 'Name'; Position = [int]::MinValue; Mandatory = $false }
    ) {
        $setInfo = $command.ParameterSets | Where-Object Name -eq $Set
        $bound = $setInfo.Parameters | Where-Object Name -eq $Parameter
        $bound | Should -Not -BeNullOrEmpty
        $bound.IsMandatory | Should -Be $Mandatory
        $bound.Position | Should -Be $Position
    }

    It 'takes a PgHa.PgHaNodeConfig for -Config, and nothing from the pipeline' {
        $command.Parameters['Config'].ParameterType.FullName | Should -Be 'PgHa.PgHaNodeConfig'
        $fromPipeline = @($command.Parameters.Values | Where-Object {
                $_.ParameterSets.Values.ValueFromPipeline -contains $true -or $_.ParameterSets.Values.ValueFromPipelineByPropertyName -contains $true })
        $fromPipeline | Should -BeNullOrEmpty
    }

    It 'has the documented types: <Parameter> is <Type>' -ForEach @(
        @{ Parameter = 'Failover'; Type = 'PgHa.PgHaFailoverMode' }
        @{ Parameter = 'StalePrimary'; Type = 'PgHa.PgHaStalePrimaryAction' }
        @{ Parameter = 'MonitorInterval'; Type = 'System.Double' }
        @{ Parameter = 'ReconnectAttempts'; Type = 'System.Int32' }
        @{ Parameter = 'ReconnectInterval'; Type = 'System.Double' }
        @{ Parameter = 'FenceTimeout'; Type = 'System.Double' }
        @{ Parameter = 'ConnectTimeout'; Type = 'System.Int32' }
        @{ Parameter = 'HttpPort'; Type = 'System.Int32' }
        @{ Parameter = 'HttpAddress'; Type = 'System.String' }
        @{ Parameter = 'EventAction'; Type = 'System.Management.Automation.ScriptBlock' }
        @{ Parameter = 'Credential'; Type = 'System.Management.Automation.PSCredential' }
    ) {
        $command.Parameters[$Parameter].ParameterType.FullName | Should -Be $Type
    }

    It 'defaults to <Value> for -<Parameter>' -ForEach @(
        @{ Parameter = 'Failover'; Value = 'Automatic' }
        @{ Parameter = 'MonitorInterval'; Value = 1 }
        @{ Parameter = 'ReconnectAttempts'; Value = 7 }
        @{ Parameter = 'ReconnectInterval'; Value = 1 }
        @{ Parameter = 'FenceTimeout'; Value = 3.5 }
        @{ Parameter = 'StalePrimary'; Value = 'Rejoin' }
        @{ Parameter = 'MonitoringHistoryInterval'; Value = 10 }
        @{ Parameter = 'MonitoringHistoryRetentionDays'; Value = 7 }
        @{ Parameter = 'ConnectTimeout'; Value = 1 }
        @{ Parameter = 'HttpPort'; Value = 8008 }
    ) {
        # A fresh cmdlet object holds the defaults; the monitor's ConnectTimeout is 1 s, not the usual 3 s.
        $instance = $command.ImplementingType::new()
        "$($instance.$Parameter)" | Should -Be "$Value"
    }

    It 'does not support -WhatIf (it changes nothing by itself when started) and declares no output' {
        $command.Parameters.ContainsKey('WhatIf') | Should -BeFalse
        $command.OutputType.Name | Should -Be @('System.Void')
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Start-PgHaMonitor -Conninfo "host='unterminated" -Name node1 } | Should -Throw -ErrorId 'PgHaConninfoInvalid'
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -LocalConninfo "host='unterminated" } | Should -Throw -ErrorId 'PgHaConninfoInvalid'
    }

    It 'refuses a health endpoint address that is not an IP address, and half a certificate, before connecting' {
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -HttpAddress 'not-an-address' } | Should -Throw -ErrorId 'PgHaMonitorHttpAddressInvalid'
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -HttpCertificateFile /tmp/x.crt } | Should -Throw -ErrorId 'PgHaMonitorHttpCertificateIncomplete'
    }

    It 'refuses a fence timeout that does not end before the detection window (PgHaMonitorUnsafeTimeouts)' {
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -FenceTimeout 4 } | Should -Throw -ErrorId 'PgHaMonitorUnsafeTimeouts'
    }

    It 'refuses repmgr''s 2 s monitor interval with the other defaults, and accepts it with a longer window' {
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -MonitorInterval 2 } | Should -Throw -ErrorId 'PgHaMonitorUnsafeTimeouts'
        # Past the timing rule, the call fails only because nothing listens on port 1.
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -MonitorInterval 2 -ReconnectAttempts 7 } | Should -Throw -ErrorId 'PgHaNodeUnreachable'
    }

    It 'refuses out-of-range values for -<Parameter>' -ForEach @(
        @{ Parameter = 'ReconnectAttempts'; Value = 0 }
        @{ Parameter = 'MonitorInterval'; Value = 0 }
        @{ Parameter = 'FenceTimeout'; Value = 0.1 }
        @{ Parameter = 'ConnectTimeout'; Value = 0 }
    ) {
        $arguments = @{ Conninfo = $nowhere; Name = 'node1'; $Parameter = $Value }
        { Start-PgHaMonitor @arguments } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.StartPgHaMonitorCommand'
    }

    Context 'with -Config' {
        BeforeAll {
            $conf = Join-Path $TestDrive 'repmgr.conf'
            Set-Content -LiteralPath $conf -Value @(
                'node_id=2'
                "node_name='pgsql2'"
                "conninfo='host=127.0.0.1 port=1 user=repmgr dbname=repmgr'"
                "data_directory='/data/pgsql'"
                "failover='automatic'"
                'monitor_interval_secs=2'
            )
        }

        It 'reads a missing file as an argument error' {
            { Start-PgHaMonitor -Config (Join-Path $TestDrive 'missing.conf') } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,PgHa.Cmdlets.StartPgHaMonitorCommand'
        }

        It 'takes monitor_interval_secs from repmgr.conf (2 s with the default window is refused)' {
            { Start-PgHaMonitor -Config $conf } | Should -Throw -ErrorId 'PgHaMonitorUnsafeTimeouts'
            { Start-PgHaMonitor -Config (Import-PgHaConfig -Path $conf) } | Should -Throw -ErrorId 'PgHaMonitorUnsafeTimeouts'
        }

        It 'lets a parameter win over the file' {
            { Start-PgHaMonitor -Config $conf -MonitorInterval 1 } | Should -Throw -ErrorId 'PgHaNodeUnreachable'
        }
    }
}

Describe 'Start-PgHaMonitor running a real failover' -Tag Integration -Skip:($env:PGHA_TEST_SANDBOX -ne '1') {
    BeforeAll {
        $first = if ($env:PGHA_TEST_MONITOR_ADDRESS) { $env:PGHA_TEST_MONITOR_ADDRESS } else { '127.0.15.1' }
        # Under /tmp: the postgres OS user must be able to reach it when the tests run as root.
        $path = Join-Path ([IO.Path]::GetTempPath()) ('pgha-monitor-test-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $sandbox = New-PgHaSandbox -Path $path -Witness -FirstAddress $first -Confirm:$false
        $ci = @($sandbox.Nodes | Where-Object Role -ne 'Witness' | ForEach-Object Conninfo)

        function Wait-Until([scriptblock] $Condition, [int] $Seconds) {
            $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
            while (-not (& $Condition)) {
                if ([datetime]::UtcNow -gt $deadline) { return $false }
                Start-Sleep -Milliseconds 250
            }
            return $true
        }

        # Started paused: a primary whose monitor sees no majority of monitors would fence itself.
        # The sandbox's cluster secret, for this session's commands and (by -SecretFile) for the monitors.
        $global:PgHaClusterSecretFile = $sandbox.SecretFile
        Suspend-PgHaMonitor -Conninfo $ci -Wait 0 -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        $jobs = foreach ($node in $sandbox.Nodes) {
            Start-Job -Name "pgha-monitor-$($node.Name)" -ArgumentList $manifest.FullName, $node.Conninfo, $node.Name, (Join-Path $path "monitor-$($node.Name).log"), $sandbox.SecretFile -ScriptBlock {
                param($module, $conninfo, $name, $log, $secret)
                Import-Module $module
                Start-PgHaMonitor -Conninfo $conninfo -Name $name -LogFile $log -ConnectTimeout 2 -SecretFile $secret
            }
        }
        $allRunning = Wait-Until { @(Get-PgHaMonitor -Conninfo $ci | Where-Object { $_.Running -and $_.LastCheck }).Count -eq 4 } 90
        Resume-PgHaMonitor -Conninfo $ci -Confirm:$false | Out-Null
    }

    AfterAll {
        if ($ci) { Suspend-PgHaMonitor -Conninfo $ci -Wait 0 -Confirm:$false -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Out-Null }
        if ($jobs) { $jobs | Stop-Job; $jobs | Remove-Job -Force }
        if ($path -and (Test-Path -LiteralPath $path)) { Remove-PgHaSandbox -Path $path -Confirm:$false }
        Remove-Variable -Name PgHaClusterSecretFile -Scope Global -ErrorAction SilentlyContinue
    }

    It 'starts one monitor per node, all agreeing on term and primary' {
        $allRunning | Should -BeTrue -Because (($jobs | Receive-Job -Keep) -join "`n")
        $monitors = Get-PgHaMonitor -Conninfo $ci
        @($monitors | ForEach-Object { "$($_.Term) $($_.Primary)" } | Sort-Object -Unique) | Should -Be @('1 node1')
        ($monitors | Where-Object Name -eq node1).Role | Should -Be 'primary'
        ($monitors | Where-Object Name -eq witness).Role | Should -Be 'witness'
        @($monitors | Where-Object Paused) | Should -BeNullOrEmpty
    }

    It 'promotes a standby within 30 s after the primary''s postmaster is killed' {
        $primary = $sandbox.Nodes | Where-Object Name -eq node1
        $pid1 = [int](Get-Content -LiteralPath (Join-Path $primary.DataDirectory 'postmaster.pid') -TotalCount 1)
        Stop-Process -Id $pid1 -Force
        $promoted = Wait-Until { (Get-PgHaMonitor -Conninfo $ci[1], $ci[2] | Where-Object { $_.Term -ge 2 -and $_.Role -eq 'primary' }) } 30
        $promoted | Should -BeTrue -Because ((Get-ChildItem "$path/monitor-*.log" | Get-Content -Tail 20) -join "`n")
        @(Get-PgHaEvent -Conninfo $ci[1], $ci[2] -Event failover_promote -Successful $true) | Should -Not -BeNullOrEmpty
    }

    It 'lets the old primary rejoin as a standby of the new one' {
        $rejoined = Wait-Until {
            $cluster = Get-PgHaCluster -Conninfo $ci -WarningAction SilentlyContinue
            $old = $cluster.Nodes | Where-Object Name -eq node1
            $old.Role -eq 'Standby' -and $old.InRecovery -eq $true
        } 90
        $rejoined | Should -BeTrue -Because ((Get-Content -LiteralPath "$path/monitor-node1.log" -Tail 30) -join "`n")
        @(Get-PgHaEvent -Conninfo $ci -Event node_rejoin -NodeName node1 -Successful $true) | Should -Not -BeNullOrEmpty
    }
}
