#Requires -Version 7.4
# Pester 5 tests of Suspend-PgHaMonitor against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract, -WhatIf (which reads nothing) and the errors met before a monitor
#                is asked.
#   Integration: pauses and resumes a real cluster whose monitors run: set PGHA_TEST_CONNINFO to the libpq
#                conninfo of a registered cluster and PGHA_TEST_MONITORS=1 to allow it. The cluster is left
#                resumed; the tests are skipped when a monitor is paused already (someone paused it on purpose).

BeforeAll {
    $manifest = Get-ChildItem "$PSScriptRoot/../output/PgHa/*/PgHa.psd1" | Select-Object -First 1
    if (-not $manifest) { throw 'No output/PgHa/<version>/PgHa.psd1: build the module first (./build.ps1 -Task Build).' }
    Import-Module $manifest.FullName -Force
}

Describe 'Suspend-PgHaMonitor parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Suspend-PgHaMonitor -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be (@('ConnectTimeout', 'Conninfo', 'Credential', 'SecretFile', 'Wait') | Sort-Object)
    }

    It 'has one parameter set with a mandatory -Conninfo at position 0, and nothing from the pipeline' {
        @($command.ParameterSets).Count | Should -Be 1
        $conninfo = $command.ParameterSets[0].Parameters | Where-Object Name -eq Conninfo
        $conninfo.IsMandatory | Should -BeTrue
        $conninfo.Position | Should -Be 0
        $fromPipeline = @($command.Parameters.Values | Where-Object {
                $_.ParameterSets.Values.ValueFromPipeline -contains $true -or $_.ParameterSets.Values.ValueFromPipelineByPropertyName -contains $true })
        $fromPipeline | Should -BeNullOrEmpty
    }

    It 'supports -WhatIf and -Confirm at ConfirmImpact Medium' {
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'
        $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'Medium'
    }

    It 'waits 15 s by default for the monitors, and takes 0 to 600' {
        $command.Parameters['Wait'].ParameterType | Should -Be ([int])
        $command.ImplementingType::new().Wait | Should -Be 15
        { Suspend-PgHaMonitor -Conninfo 'host=127.0.0.1 port=1' -Wait 601 -WhatIf } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.SuspendPgHaMonitorCommand'
    }

    It 'declares PgHa.PgHaMonitorStatus as its output type' {
        $command.OutputType.Name | Should -Be @('PgHa.PgHaMonitorStatus')
    }

    It 'connects to nothing and returns nothing under -WhatIf' {
        # Nothing listens on port 1: any connection attempt would be an error.
        Suspend-PgHaMonitor -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -WhatIf -ErrorVariable failed | Should -BeNullOrEmpty
        $failed | Should -BeNullOrEmpty
    }

    It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
        { Suspend-PgHaMonitor -Conninfo "host='unterminated" -Confirm:$false } | Should -Throw -ErrorId 'PgHaConninfoInvalid'
    }

    It 'refuses a -SecretFile that is missing or that others may read, before connecting' {
        Suspend-PgHaMonitor -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -SecretFile (Join-Path $TestDrive 'none') -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable missing | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'PgHaClusterSecretMissing,*'
        $exposed = Join-Path $TestDrive 'exposed-secret'
        [Convert]::ToBase64String([byte[]](1..48)) | Set-Content -LiteralPath $exposed
        & chmod 644 $exposed
        Suspend-PgHaMonitor -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -SecretFile $exposed -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable shown | Should -BeNullOrEmpty
        $shown[0].FullyQualifiedErrorId | Should -BeLike 'PgHaClusterSecretExposed,*'
        $shown[0].Exception.Message | Should -Not -Match ([regex]::Escape([Convert]::ToBase64String([byte[]](1..48))))
    }

    It 'reports an unreachable cluster as a non-terminating PgHaNodeUnreachable' {
        Suspend-PgHaMonitor -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failed | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeUnreachable,*'
    }
}

Describe 'Suspend-PgHaMonitor against a real cluster' -Tag Integration -Skip:(-not ($env:PGHA_TEST_CONNINFO -and $env:PGHA_TEST_MONITORS -eq '1')) {
    BeforeAll {
        $ci = $env:PGHA_TEST_CONNINFO
        $before = @(Get-PgHaMonitor -Conninfo $ci)
        $pausedAlready = [bool]($before | Where-Object { $_.Running -and $_.Paused })
    }

    AfterAll {
        if (-not $pausedAlready) { Resume-PgHaMonitor -Conninfo $ci -Confirm:$false -WarningAction SilentlyContinue | Out-Null }
    }

    It 'pauses every running monitor before it returns, and says so in each status' {
        if ($pausedAlready) { Set-ItResult -Skipped -Because 'a monitor of this cluster is paused already' }
        $statuses = @(Suspend-PgHaMonitor -Conninfo $ci -Confirm:$false -WarningAction SilentlyContinue)
        $statuses.Count | Should -Be $before.Count
        $statuses | Where-Object Running | ForEach-Object { $_.Paused | Should -BeTrue -Because "$($_.Name) should report the pause" }
        Get-PgHaMonitor -Conninfo $ci | Where-Object Running | ForEach-Object { $_.Paused | Should -BeTrue }
    }

    It 'changes nothing more when called again' {
        if ($pausedAlready) { Set-ItResult -Skipped -Because 'a monitor of this cluster is paused already' }
        $statuses = @(Suspend-PgHaMonitor -Conninfo $ci -Wait 0 -Confirm:$false -WarningAction SilentlyContinue)
        $statuses | Where-Object Running | ForEach-Object { $_.Paused | Should -BeTrue }
        (Get-PgHaCluster -Conninfo $ci -WarningAction SilentlyContinue).Primary | Should -Not -BeNullOrEmpty
    }
}
