#Requires -Version 7.4
# Pester 5 tests of Start-PgHaMonitor against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract, the defaults, and the checks made before anything is connected
#                (conninfo, configuration file, the timing rule PgHaMonitorUnsafeTimeouts).
#   Integration: a real failover. Makes a sandbox of its own (a primary, two standbys and a witness), runs
#                one monitor per node in background jobs, kills the primary's postmaster and checks that a
#                standby is promoted, the other follows and the old primary rejoins. Needs root (the servers
#                then run as postgres) and PostgreSQL 15 in /usr/lib/postgresql/15/bin.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Start-PgHaMonitor parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Start-PgHaMonitor -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        # Nothing listens on port 1: a call that gets past every check fails to connect, fast.
        $nowhere = 'host=127.0.0.1 port=1 user=pgha dbname=pgha'

        # A cluster secret as a monitor needs one (mode 0600), for the calls that get past the checks.
        $secretFile = Join-Path $TestDrive 'cluster-secret'
        [Convert]::ToBase64String([byte[]](1..48)) | Set-Content -LiteralPath $secretFile
        & chmod 600 $secretFile

        # A monitor that passes every check keeps trying to read the metadata for 30 s (a node booting with its
        # monitor may not answer yet), then fails with PgHaNodeUnreachable. Rather than wait that out, run it in
        # a thread job, return its first warning (or error) and stop it.
        function Test-StartPgHaMonitorGetsPastChecks([hashtable] $ArgumentList) {
            $job = Start-ThreadJob -ArgumentList $manifest.FullName, $ArgumentList -ScriptBlock {
                param($module, $arguments)
                Import-Module $module
                Start-PgHaMonitor @arguments
            }
            try {
                $null = Wait-PgHaTestCondition -Seconds 20 -Condition { $job.Warning.Count -gt 0 -or $job.Error.Count -gt 0 -or $job.State -notin 'NotStarted', 'Running' }
                @($job.Warning) + @($job.Error | ForEach-Object FullyQualifiedErrorId) | Select-Object -First 1 | ForEach-Object { "$_" }
            }
            finally {
                $job | Stop-Job
                $job | Remove-Job -Force
            }
        }
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be (@('AcceptNewHostKey', 'Config', 'ConnectTimeout', 'Conninfo', 'Credential', 'EtcdCredential', 'EtcdFailsafe', 'EtcdKeepAliveInterval', 'EventAction', 'EventCommand',
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
        @{ Parameter = 'EtcdCredential'; Type = 'System.Management.Automation.PSCredential' }
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
        { Start-PgHaMonitor -Conninfo "host='unterminated" -Name node1 } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.StartPgHaMonitorCommand'
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -LocalConninfo "host='unterminated" } | Should -Throw -ErrorId 'PgHaConninfoInvalid,PgHa.Cmdlets.StartPgHaMonitorCommand'
    }

    It 'refuses a health endpoint address that is not an IP address, and half a certificate, before connecting' {
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -HttpAddress 'not-an-address' } | Should -Throw -ErrorId 'PgHaMonitorHttpAddressInvalid,PgHa.Cmdlets.StartPgHaMonitorCommand'
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -HttpCertificateFile /tmp/x.crt } | Should -Throw -ErrorId 'PgHaMonitorHttpCertificateIncomplete,PgHa.Cmdlets.StartPgHaMonitorCommand'
    }

    It 'refuses a fence timeout that does not end before the detection window (PgHaMonitorUnsafeTimeouts)' {
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -FenceTimeout 4 } | Should -Throw -ErrorId 'PgHaMonitorUnsafeTimeouts,PgHa.Cmdlets.StartPgHaMonitorCommand'
    }

    It 'refuses repmgr''s 2 s monitor interval with the other defaults, and accepts it with a longer window' {
        { Start-PgHaMonitor -Conninfo $nowhere -Name node1 -MonitorInterval 2 } | Should -Throw -ErrorId 'PgHaMonitorUnsafeTimeouts,PgHa.Cmdlets.StartPgHaMonitorCommand'
        # Past the timing rule the monitor starts and tries to read the metadata (nothing listens on port 1).
        # 10 x 1 s: the default 7 attempts (since the defaults of fence timeout 3.5 s) leave too small a margin.
        Test-StartPgHaMonitorGetsPastChecks -ArgumentList @{ Conninfo = $nowhere; Name = 'node1'; MonitorInterval = 2; ReconnectAttempts = 10; SecretFile = $secretFile } |
            Should -Match 'The metadata cannot be read yet'
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
            { Start-PgHaMonitor -Config $conf } | Should -Throw -ErrorId 'PgHaMonitorUnsafeTimeouts,PgHa.Cmdlets.StartPgHaMonitorCommand'
            { Start-PgHaMonitor -Config (Import-PgHaConfig -Path $conf) } | Should -Throw -ErrorId 'PgHaMonitorUnsafeTimeouts,PgHa.Cmdlets.StartPgHaMonitorCommand'
        }

        It 'lets a parameter win over the file' {
            Test-StartPgHaMonitorGetsPastChecks -ArgumentList @{ Config = $conf; MonitorInterval = 1; SecretFile = $secretFile } |
                Should -Match 'The metadata cannot be read yet'
        }
    }
}

Describe 'Start-PgHaMonitor running a real failover' -Tag Integration {
    BeforeAll {
        # A sandbox of its own: this file kills its primary.
        $path = New-PgHaTestPath -Prefix 'pgha-pester-monitor'
        $sandbox = New-PgHaSandbox -Path $path -Witness -FirstAddress (Get-PgHaTestAddressBlock) -Confirm:$false
        $ci = @($sandbox.Nodes | Where-Object Role -ne 'Witness' | ForEach-Object Conninfo)
        # One thread job per monitor in this process (a pwsh process each would take tens of seconds to start on
        # a busy machine; examples/demo.ps1 and the xunit fault suite run them as processes): the kill -9
        # below is of the primary's postmaster, not of a monitor.
        $jobs = Start-PgHaTestMonitor -Sandbox $sandbox -Seconds 90
    }

    AfterAll {
        if ($sandbox) { Stop-PgHaTestMonitor -Sandbox $sandbox -Job $jobs }
        if ($path -and (Test-Path -LiteralPath $path)) { Remove-PgHaSandbox -Path $path -Confirm:$false }
    }

    It 'starts one monitor per node, all agreeing on term and primary' {
        $running = @($jobs | Where-Object State -eq 'Running').Count
        if ($running -ne 4) { $running | Should -Be 4 -Because (($jobs | Receive-Job -Keep 2>&1) -join "`n") }
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
        $promoted = Wait-PgHaTestCondition -Seconds 30 -Condition { (Get-PgHaMonitor -Conninfo $ci[1], $ci[2] | Where-Object { $_.Term -ge 2 -and $_.Role -eq 'primary' }) }
        $promoted | Should -BeTrue -Because ((Get-ChildItem "$path/monitor-*.log" | Get-Content -Tail 20) -join "`n")
        # The new primary's monitor reports its role before it has written the event.
        Wait-PgHaTestCondition -Seconds 15 -Condition { @(Get-PgHaEvent -Conninfo $ci[1], $ci[2] -Event failover_promote -Successful $true).Count -gt 0 } |
            Should -BeTrue
    }

    It 'lets the old primary rejoin as a standby of the new one' {
        $rejoined = Wait-PgHaTestCondition -Seconds 90 -Condition {
            $cluster = Get-PgHaCluster -Conninfo $ci -WarningAction SilentlyContinue
            $old = $cluster.Nodes | Where-Object Name -eq node1
            $old.Role -eq 'Standby' -and $old.InRecovery -eq $true
        }
        $rejoined | Should -BeTrue -Because ((Get-Content -LiteralPath "$path/monitor-node1.log" -Tail 30) -join "`n")
        @(Get-PgHaEvent -Conninfo $ci -Event node_rejoin -NodeName node1 -Successful $true) | Should -Not -BeNullOrEmpty
    }
}
