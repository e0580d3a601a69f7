#Requires -Version 7.4
# Pester 5 tests of New-PgHaSandbox against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract and the argument checks made before anything is created.
#   Integration: the run's shared sandbox (a primary, two standbys and a witness, made by New-PgHaSandbox
#                in tests/PgHaTestSupport.psm1): what it returned, what it made, and a second call refused.
#                Needs root (the servers then run as postgres) and PostgreSQL 15 in /usr/lib/postgresql/15/bin.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'New-PgHaSandbox parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name New-PgHaSandbox -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the documented parameters' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('ConnectTimeout', 'Credential', 'Etcd', 'FirstAddress', 'Nodes', 'Path', 'PgBinDir', 'Port', 'Witness')
    }

    It 'has one parameter set, with -Path at position 0 and nothing mandatory' {
        @($command.ParameterSets).Count | Should -Be 1
        $set = $command.ParameterSets[0]
        ($set.Parameters | Where-Object Name -eq 'Path').Position | Should -Be 0
        @($set.Parameters | Where-Object IsMandatory) | Should -BeNullOrEmpty
    }

    It 'takes nothing from the pipeline' {
        $fromPipeline = @($command.Parameters.Values | Where-Object {
                $_.ParameterSets.Values.ValueFromPipeline -contains $true -or $_.ParameterSets.Values.ValueFromPipelineByPropertyName -contains $true })
        $fromPipeline | Should -BeNullOrEmpty
    }

    It 'supports -WhatIf and -Confirm with low impact' {
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        $command.Parameters.ContainsKey('Confirm') | Should -BeTrue
        $cmdletAttribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $cmdletAttribute.ConfirmImpact | Should -Be 'Low'
    }

    It 'declares PgHa.PgHaSandbox as its output type' {
        $command.OutputType.Name | Should -Be @('PgHa.PgHaSandbox')
    }

    It 'takes a credential as [pscredential]' {
        $command.Parameters['Credential'].ParameterType | Should -Be ([pscredential])
    }

    It 'refuses -Nodes <Nodes> (1 to 9 data nodes)' -ForEach @(@{ Nodes = 0 }, @{ Nodes = 10 }) {
        { New-PgHaSandbox -Path (Join-Path $TestDrive 'never') -Nodes $Nodes -WhatIf } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.NewPgHaSandboxCommand'
    }

    It 'refuses -Port <Port> (1024 to 65535)' -ForEach @(@{ Port = 80 }, @{ Port = 70000 }) {
        { New-PgHaSandbox -Path (Join-Path $TestDrive 'never') -Port $Port -WhatIf } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.NewPgHaSandboxCommand'
    }

    It 'refuses -FirstAddress <Address>, which is not IPv4 loopback (PgHaSandboxAddressInvalid)' -ForEach @(
        @{ Address = '10.0.0.1' }
        @{ Address = '::1' }
        @{ Address = 'localhost' }
        @{ Address = '0.0.0.0' }
    ) {
        { New-PgHaSandbox -Path (Join-Path $TestDrive 'never') -FirstAddress $Address -WhatIf } |
            Should -Throw -ErrorId 'PgHaSandboxAddressInvalid,PgHa.Cmdlets.NewPgHaSandboxCommand'
        Test-Path -LiteralPath (Join-Path $TestDrive 'never') | Should -BeFalse
    }

    It '-WhatIf creates nothing and returns nothing' {
        $path = Join-Path $TestDrive 'whatif'
        New-PgHaSandbox -Path $path -Nodes 2 -Witness -FirstAddress 127.0.14.1 -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $path | Should -BeFalse
    }
}

Describe 'New-PgHaSandbox making a real sandbox' -Tag Integration {
    BeforeAll {
        $psql = '/usr/lib/postgresql/15/bin/psql'
        # The run's shared sandbox, as New-PgHaSandbox -Witness returned it (tests/PgHaTestSupport.psm1):
        # one sandbox less to build. Remove-PgHaSandbox.Tests.ps1 removes sandboxes of its own.
        $sandbox = Get-PgHaTestSandbox
        $path = $sandbox.Path
        $first = $sandbox.Nodes[0].Address
    }

    It 'returns a PgHaSandbox of a primary, two standbys and a witness' {
        $sandbox.PSObject.TypeNames[0] | Should -Be 'PgHa.PgHaSandbox'
        $sandbox.Path | Should -Be $path
        $sandbox.Primary | Should -Be 'node1'
        $sandbox.Nodes.Name | Should -Be @('node1', 'node2', 'node3', 'witness')
        $sandbox.Nodes.Role | Should -Be @('Primary', 'Standby', 'Standby', 'Witness')
        $sandbox.Conninfo | Should -Be $sandbox.Nodes[0].Conninfo
        $sandbox.Duration | Should -BeGreaterThan ([timespan]::Zero)
    }

    It 'puts every node on its own loopback address with the same port' {
        # Not $sandbox.Nodes.Address: an array's own Address() method hides member enumeration.
        $addresses = @($sandbox.Nodes | ForEach-Object Address)
        @($addresses | Sort-Object -Unique).Count | Should -Be 4
        $addresses | ForEach-Object { $_ | Should -Match '^127\.' }
        @($sandbox.Nodes.Port | Sort-Object -Unique) | Should -Be @(5432)
    }

    It 'keeps the manifest and each node''s own settings in the folder' {
        Test-Path -LiteralPath (Join-Path $path 'pgha-sandbox.json') | Should -BeTrue
        foreach ($node in $sandbox.Nodes) {
            $nodeConf = Join-Path (Split-Path -Parent $node.DataDirectory) 'node.conf'
            Get-Content -LiteralPath $nodeConf -Raw | Should -Match ([regex]::Escape("listen_addresses = '$($node.Address)'"))
            Get-Content -LiteralPath (Join-Path $node.DataDirectory 'postgresql.conf') -Raw | Should -Not -Match ([regex]::Escape($node.Address))
        }
    }

    It 'has no etcd without -Etcd: the built-in quorum decides' {
        $sandbox.EtcdEndpoints | Should -BeNullOrEmpty
        ($sandbox | Get-PgHaCluster).Consensus.Backend | Should -Be 'BuiltIn'
    }

    It 'pipes into Get-PgHaCluster: a healthy cluster of four nodes' {
        $cluster = $sandbox | Get-PgHaCluster
        $cluster.Healthy | Should -BeTrue -Because ($cluster.Warnings -join '; ')
        @($cluster.Nodes).Count | Should -Be 4
        $cluster.Primary | Should -Be 'node1'
    }

    It 'streams a row written on the primary to a standby' {
        $standby = $sandbox.Nodes | Where-Object Name -eq node2
        & $psql -X -q -d $sandbox.Conninfo -c 'CREATE TABLE pester_demo (id int); INSERT INTO pester_demo VALUES (7)'
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        do {
            $count = & $psql -X -A -t -d $standby.Conninfo -c 'SELECT count(*) FROM pester_demo' 2>$null
            if ($count -ne '1') { Start-Sleep -Milliseconds 100 }
        } until ($count -eq '1' -or [datetime]::UtcNow -gt $deadline)
        $count | Should -Be '1'
    }

    It 'refuses the folder of a running sandbox (PgHaDirectoryContainsRunningServer) and leaves it alone' {
        { New-PgHaSandbox -Path $path -FirstAddress $first -Confirm:$false } | Should -Throw -ErrorId 'PgHaDirectoryContainsRunningServer,PgHa.Cmdlets.NewPgHaSandboxCommand'
        Test-Path -LiteralPath (Join-Path $path 'pgha-sandbox.json') | Should -BeTrue
        ($sandbox | Get-PgHaCluster).Healthy | Should -BeTrue
    }

    It 'refuses a folder that is not empty (PgHaSandboxPathInUse) and leaves it alone' {
        $full = Join-Path ([IO.Path]::GetTempPath()) ('pgha-pester-full-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $full
        try {
            Set-Content -LiteralPath (Join-Path $full 'keep.txt') -Value 'mine'
            { New-PgHaSandbox -Path $full -FirstAddress $first -Confirm:$false } | Should -Throw -ErrorId 'PgHaSandboxPathInUse,PgHa.Cmdlets.NewPgHaSandboxCommand'
            @(Get-ChildItem -LiteralPath $full).Name | Should -Be @('keep.txt')
        }
        finally {
            Remove-Item -LiteralPath $full -Recurse -Force
        }
    }
}

Describe 'New-PgHaSandbox -Etcd' -Tag Integration {
    BeforeAll {
        # A sandbox of its own (one node: the etcd is what this block is about), on addresses no other test uses.
        $path = New-PgHaTestPath -Prefix 'pgha-pester-etcd'
        $sandbox = New-PgHaSandbox -Path $path -Nodes 1 -Etcd -FirstAddress (Get-PgHaTestAddressBlock) -Confirm:$false
        $members = @((Get-Content -LiteralPath (Join-Path $path 'pgha-sandbox.json') -Raw | ConvertFrom-Json).Etcd)
    }

    AfterAll {
        if (Test-Path -LiteralPath $path) { Remove-PgHaSandbox -Path $path -Confirm:$false -ErrorAction Continue }
    }

    It 'starts three etcd members beside the node, each recorded in the manifest with its PID' {
        @($sandbox.EtcdEndpoints).Count | Should -Be 3
        $members.Count | Should -Be 3
        foreach ($member in $members) {
            $member.ClientPort | Should -Be 2379
            $member.DataDirectory | Should -BeLike "$path/etcd/*"
            Test-Path -LiteralPath "/proc/$($member.Pid)" | Should -BeTrue -Because "$($member.Name) should run"
            (Get-Content -LiteralPath "/proc/$($member.Pid)/cmdline" -Raw) -split "`0" | Should -Contain $member.DataDirectory
        }
        $sandbox.EtcdEndpoints | Should -Be @($members | ForEach-Object { "http://$($_.Address):2379" })
        & /usr/bin/etcdctl "--endpoints=$($sandbox.EtcdEndpoints -join ',')" endpoint health 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
    }

    It 'records etcd as the backend that decides elections, and shows its endpoints' {
        $cluster = $sandbox | Get-PgHaCluster
        $cluster.Healthy | Should -BeTrue -Because ($cluster.Warnings -join '; ')
        $cluster.Consensus.Backend | Should -Be 'Etcd'
        $cluster.Consensus.EtcdEndpoints | Should -Be $sandbox.EtcdEndpoints
        ($sandbox | Out-String) | Should -Match ('(?m)^Etcd\s+: ' + [regex]::Escape($sandbox.EtcdEndpoints -join ','))
    }

    It 'is removed with its etcd: every member stopped by its PID, its data gone' {
        Remove-PgHaSandbox -Path $path -Confirm:$false
        Test-Path -LiteralPath $path | Should -BeFalse
        foreach ($member in $members) {
            $gone = Wait-PgHaTestCondition -Seconds 5 -Condition { -not (Test-Path -LiteralPath "/proc/$($member.Pid)/cmdline") -or
                -not ((Get-Content -LiteralPath "/proc/$($member.Pid)/cmdline" -Raw) -split "`0" -contains $member.DataDirectory) }
            $gone | Should -BeTrue -Because "$($member.Name) (pid $($member.Pid)) should be stopped"
        }
    }
}
