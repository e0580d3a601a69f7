#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Mirrors tests/PgHa.Tests/ImportPgHaConfigTests.cs for pwsh users; imports the built module from output/.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule

    $repmgrConf = @'
node_id=1
node_name='pgsql1'
conninfo='host=127.0.0.1 user=repmgr dbname=repmgr connect_timeout=2'
data_directory='/data/pgsql'
failover='automatic'
priority=90
'@
    $pgHaPsd1 = @'
@{
    NodeId        = 2
    NodeName      = 'pgsql2'
    Conninfo      = 'host=127.0.0.2 user=repmgr dbname=repmgr'
    DataDirectory = '/data/pgsql'
    Location      = 'dc2'
    Ssh           = @{ Host = '127.0.0.2'; Port = 2222; User = 'postgres' }
}
'@
}

Describe 'Import-PgHaConfig' {
    BeforeEach {
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid()))
        $conf = Join-Path $dir 'repmgr.conf'
        $psd1 = Join-Path $dir 'node2.psd1'
        Set-Content -Path $conf -Value $repmgrConf
        Set-Content -Path $psd1 -Value $pgHaPsd1
    }

    It 'imports a repmgr.conf and a psd1' {
        $configs = Import-PgHaConfig -Path $conf, $psd1 -WarningVariable warnings

        $configs | Should -HaveCount 2
        $configs[0] | Should -BeOfType ([PgHa.PgHaNodeConfig])
        $configs[0].NodeId | Should -Be 1
        $configs[0].Failover | Should -Be 'Automatic'
        $configs[0].Priority | Should -Be 90
        $configs[0].Format | Should -Be 'Repmgr'
        $configs[1].NodeName | Should -Be 'pgsql2'
        $configs[1].Location | Should -Be 'dc2'
        $configs[1].SshPort | Should -Be 2222
        $configs[1].Format | Should -Be 'PgHa'
        $warnings | Should -BeNullOrEmpty
    }

    It 'takes FullName from the pipeline and expands wildcards' {
        ([pscustomobject]@{ FullName = $conf } | Import-PgHaConfig).NodeId | Should -Be 1
        Get-ChildItem $dir | Import-PgHaConfig | Should -HaveCount 2
        Import-PgHaConfig -Path "$dir/*" | Should -HaveCount 2
    }

    It 'reads a file as the -Format given, whatever its extension' {
        $cfg = Join-Path $dir 'node2.cfg'
        Set-Content -Path $cfg -Value $pgHaPsd1
        (Import-PgHaConfig -Path $cfg -Format PgHa).NodeId | Should -Be 2
    }

    It 'writes unknown keys and passwords to the warning stream' {
        Set-Content -Path $conf -Value ($repmgrConf.Replace('connect_timeout=2', 'password=hunter2') + "`nnode_colour=blue")

        $config = Import-PgHaConfig -Path $conf -WarningVariable warnings 3>$null

        $config.Conninfo | Should -Be 'host=127.0.0.1 user=repmgr dbname=repmgr'
        $config.UnknownKeys | Should -Be @('node_colour')
        $warnings | Should -HaveCount 2
        ($warnings -join "`n") | Should -Not -Match 'hunter2'
        ($warnings -join "`n") | Should -Match 'node_colour'
    }

    It 'gives PgHaConfigNotFound for a missing file' {
        Import-PgHaConfig -Path (Join-Path $dir 'nothere.conf') -ErrorVariable errors -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'PgHaConfigNotFound,PgHa.Cmdlets.ImportPgHaConfigCommand'
    }

    It 'gives PgHaConfigInvalid for a bad file and still returns the good ones' {
        $bad = Join-Path $dir 'bad.conf'
        Set-Content -Path $bad -Value $repmgrConf.Replace('priority=90', 'priority=-1')
        $code = Join-Path $dir 'code.psd1'
        Set-Content -Path $code -Value '@{ NodeId = $(Get-Process) }'

        $configs = Import-PgHaConfig -Path $conf, $bad, $code, $psd1 -ErrorVariable errors -ErrorAction SilentlyContinue

        $configs | Should -HaveCount 2
        $errors | Should -HaveCount 2
        $errors | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be 'PgHaConfigInvalid,PgHa.Cmdlets.ImportPgHaConfigCommand' }
        $errors[0].TargetObject | Should -Be $bad
        $errors[0].Exception.Message | Should -Match ([regex]::Escape("${bad}:6:"))
        $errors[1].Exception.Message | Should -Match 'code, not data'
    }
}
