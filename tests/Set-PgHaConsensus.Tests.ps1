#Requires -Version 7.4
# Pester 5 tests of Set-PgHaConsensus against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract, -WhatIf (which reads nothing) and the errors met before connecting.
#   Integration: the run's shared sandbox (tests/PgHaTestSupport.psm1; no monitor runs in this file) and a
#                one-member etcd (Debian's /usr/bin/etcd) this file starts on an address of its own and stops
#                by its PID. The sandbox is left as it was found: built-in quorum, not paused. Needs root (the
#                servers run as postgres), PostgreSQL 15 and etcd-server.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Set-PgHaConsensus parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Set-PgHaConsensus -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be (@('Backend', 'ConnectTimeout', 'Conninfo', 'Credential', 'EtcdCaFile', 'EtcdCertFile', 'EtcdCredential',
                'EtcdEndpoint', 'EtcdKeyFile', 'EtcdPrefix', 'PassThru') | Sort-Object)
    }

    It 'takes -Conninfo (position 0, from a piped Conninfo) and -Backend (position 1), both mandatory' {
        $conninfo = $command.Parameters['Conninfo'].ParameterSets['__AllParameterSets']
        $conninfo.IsMandatory | Should -BeTrue
        $conninfo.Position | Should -Be 0
        $conninfo.ValueFromPipelineByPropertyName | Should -BeTrue
        $backend = $command.Parameters['Backend']
        $backend.ParameterType | Should -Be ([PgHa.PgHaConsensusBackend])
        $backend.ParameterSets['__AllParameterSets'].IsMandatory | Should -BeTrue
        $backend.ParameterSets['__AllParameterSets'].Position | Should -Be 1
        [enum]::GetNames([PgHa.PgHaConsensusBackend]) | Should -Be @('BuiltIn', 'Etcd')
    }

    It 'takes the etcd user as a PSCredential, never a password string' {
        $command.Parameters['EtcdCredential'].ParameterType | Should -Be ([pscredential])
        $command.Parameters.Keys | Where-Object { $_ -match 'Password' } | Should -BeNullOrEmpty
    }

    It 'supports -WhatIf and -Confirm at ConfirmImpact Medium, and declares PgHa.PgHaConsensus' {
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'Medium'
        $command.OutputType.Name | Should -Be @('PgHa.PgHaConsensus')
    }

    It 'connects to nothing and returns nothing under -WhatIf' {
        # Nothing listens on port 1: any connection attempt would be an error.
        Set-PgHaConsensus -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -Backend Etcd -EtcdEndpoint http://127.0.0.1:1 -WhatIf -ErrorVariable failed |
            Should -BeNullOrEmpty
        $failed | Should -BeNullOrEmpty
    }

    It 'refuses etcd parameters with -Backend BuiltIn, and -Backend Etcd without endpoints, before connecting' {
        { Set-PgHaConsensus -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -Backend BuiltIn -EtcdPrefix /pgha/x -Confirm:$false } |
            Should -Throw -ErrorId 'PgHaConsensusInvalid,PgHa.Cmdlets.SetPgHaConsensusCommand'
        { Set-PgHaConsensus -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -Backend Etcd -Confirm:$false } |
            Should -Throw -ErrorId 'PgHaConsensusInvalid,PgHa.Cmdlets.SetPgHaConsensusCommand'
    }

    It 'refuses an endpoint that is not a client URL, a prefix that is not a key path and a relative TLS path' -ForEach @(
        @{ Extra = @{ EtcdEndpoint = 'http://10.0.0.1:2379/v3' } }
        @{ Extra = @{ EtcdEndpoint = 'http://10.0.0.1:2379'; EtcdPrefix = 'pgha' } }
        @{ Extra = @{ EtcdEndpoint = 'http://10.0.0.1:2379'; EtcdCaFile = 'relative/ca.crt' } }
    ) {
        # A relative path resolves against the current location: a path outside the file system cannot.
        Push-Location -LiteralPath Env:
        try {
            { Set-PgHaConsensus -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -Backend Etcd @Extra -Confirm:$false } |
                Should -Throw -ErrorId 'PgHaEtcdInvalidSettings,PgHa.Cmdlets.SetPgHaConsensusCommand'
        }
        finally {
            Pop-Location
        }
    }
}

Describe 'Set-PgHaConsensus against a real cluster and a real etcd' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $ci = $sandbox.Conninfo
        # etcd on an address no other test process uses, with its data in this file's TestDrive.
        $etcdAddress = Get-PgHaTestAddressBlock
        $etcdUrl = "http://${etcdAddress}:2379"
        $etcdDirectory = Join-Path $TestDrive 'etcd'
        $etcd = Start-Process -FilePath /usr/bin/etcd -PassThru -RedirectStandardError (Join-Path $TestDrive 'etcd.err') -RedirectStandardOutput (Join-Path $TestDrive 'etcd.out') -ArgumentList @(
            '--name', 'pester', '--data-dir', $etcdDirectory,
            '--listen-client-urls', $etcdUrl, '--advertise-client-urls', $etcdUrl,
            '--listen-peer-urls', "http://${etcdAddress}:2380", '--initial-advertise-peer-urls', "http://${etcdAddress}:2380",
            '--initial-cluster', "pester=http://${etcdAddress}:2380")
        $healthy = Wait-PgHaTestCondition -Seconds 30 -Condition {
            try { (Invoke-RestMethod -Uri "$etcdUrl/health" -TimeoutSec 2).health -eq 'true' } catch { $false }
        }
        if (-not $healthy) { throw "etcd did not answer at $etcdUrl within 30 s: $(Get-Content -Raw (Join-Path $TestDrive 'etcd.err'))" }
        $prefix = "/pgha-pester/$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        # No access control on this etcd: a user given anyway is not needed, and never recorded.
        $etcdCredential = [pscredential]::new('pgha', (ConvertTo-SecureString 'never-stored pw' -AsPlainText -Force))
    }

    AfterAll {
        Suspend-PgHaMonitor -Conninfo $ci -Wait 0 -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        Set-PgHaConsensus -Conninfo $ci -Backend BuiltIn -Confirm:$false -ErrorAction Continue
        Resume-PgHaMonitor -Conninfo $ci -Wait 0 -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        if ($etcd) {
            Stop-Process -Id $etcd.Id -ErrorAction SilentlyContinue
            $etcd.WaitForExit(20000) | Out-Null
        }
    }

    It 'is refused with PgHaConsensusNotPaused while the monitors are not paused' {
        Set-PgHaConsensus -Conninfo $ci -Backend Etcd -EtcdEndpoint $etcdUrl -EtcdPrefix $prefix -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable refused |
            Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -Be 'PgHaConsensusNotPaused,PgHa.Cmdlets.SetPgHaConsensusCommand'
        (Get-PgHaCluster -Conninfo $ci -WarningAction SilentlyContinue).Consensus.Backend | Should -Be 'BuiltIn'
    }

    It 'records etcd while paused, once, and Get-PgHaCluster shows it' {
        Suspend-PgHaMonitor -Conninfo $ci -Wait 0 -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        $set = Set-PgHaConsensus -Conninfo $ci -Backend Etcd -EtcdEndpoint $etcdUrl -EtcdPrefix $prefix -EtcdCredential $etcdCredential -Confirm:$false -PassThru -Verbose 4>&1
        $recorded = $set | Where-Object { $_ -is [PgHa.PgHaConsensus] }
        $recorded.Backend | Should -Be 'Etcd'
        $recorded.EtcdEndpoints | Should -Be @($etcdUrl)
        $recorded.EtcdPrefix | Should -Be $prefix
        $recorded.Changed | Should -BeTrue
        ($set | Out-String) | Should -Not -Match 'never-stored'

        (Set-PgHaConsensus -Conninfo $ci -Backend Etcd -EtcdEndpoint $etcdUrl -EtcdPrefix $prefix -Confirm:$false -PassThru).Changed | Should -BeFalse

        $cluster = Get-PgHaCluster -Conninfo $ci -WarningAction SilentlyContinue
        $cluster.Consensus.Backend | Should -Be 'Etcd'
        $cluster.Consensus.EtcdPrefix | Should -Be $prefix
        $cluster.Consensus.Leader | Should -BeNullOrEmpty
        ($cluster | Out-String) | Should -Match ([regex]::Escape("Elections: etcd $etcdUrl prefix $prefix"))
        ($cluster | ConvertTo-Json -Depth 5) | Should -Not -Match 'never-stored'
        Get-PgHaEvent -Conninfo $ci -Event consensus_change | Select-Object -First 1 -ExpandProperty Details | Should -Match ([regex]::Escape($prefix))
    }

    It 'goes back to the built-in quorum the same way' {
        Suspend-PgHaMonitor -Conninfo $ci -Wait 0 -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        $back = Set-PgHaConsensus -Conninfo $ci -Backend BuiltIn -Confirm:$false -PassThru
        $back.Backend | Should -Be 'BuiltIn'
        $back.EtcdEndpoints | Should -BeNullOrEmpty
        Resume-PgHaMonitor -Conninfo $ci -Wait 0 -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        (Get-PgHaCluster -Conninfo $ci -WarningAction SilentlyContinue).Consensus.Backend | Should -Be 'BuiltIn'
    }
}
