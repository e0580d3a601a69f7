#Requires -Version 7.4
# Pester 5 tests of Remove-PgHaSandbox against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract, and the refusal of folders New-PgHaSandbox did not make; no
#                server needed.
#   Integration: makes real sandboxes of its own with New-PgHaSandbox and removes them. Needs root (the
#                servers run as postgres) and PostgreSQL 15.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'Remove-PgHaSandbox parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Remove-PgHaSandbox -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the documented parameters' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be @('ConnectTimeout', 'Credential', 'Path')
    }

    It 'has a mandatory -Path at position 0 that binds the Path property from the pipeline' {
        $path = $command.Parameters['Path']
        $path.ParameterType | Should -Be ([string[]])
        $set = $path.ParameterSets.Values | Select-Object -First 1
        $set.IsMandatory | Should -BeTrue
        $set.Position | Should -Be 0
        $set.ValueFromPipelineByPropertyName | Should -BeTrue
        $set.ValueFromPipeline | Should -BeFalse
    }

    It 'supports -WhatIf and -Confirm with medium impact' {
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        $command.Parameters.ContainsKey('Confirm') | Should -BeTrue
        $cmdletAttribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $cmdletAttribute.ConfirmImpact | Should -Be 'Medium'
    }

    It 'refuses a folder without the manifest (PgHaSandboxNotFound) and leaves it alone' {
        # Under /tmp rather than $TestDrive alone: run as root, the manifest is read as the postgres OS user.
        $folder = Join-Path ([IO.Path]::GetTempPath()) ('pgha-not-a-sandbox-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path $folder | Out-Null
        try {
            Set-Content -LiteralPath (Join-Path $folder 'keep.txt') -Value 'mine'
            Remove-PgHaSandbox -Path $folder -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused.FullyQualifiedErrorId | Should -Be 'PgHaSandboxNotFound,PgHa.Cmdlets.RemovePgHaSandboxCommand'
            Test-Path -LiteralPath (Join-Path $folder 'keep.txt') | Should -BeTrue
        }
        finally {
            Remove-Item -LiteralPath $folder -Recurse -Force
        }
    }

    It 'refuses a manifest that lists a data directory outside the folder' {
        $folder = Join-Path ([IO.Path]::GetTempPath()) ('pgha-forged-sandbox-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path $folder | Out-Null
        try {
            $forged = @{ CreatedBy = 'New-PgHaSandbox'; PgBinDir = '/usr/lib/postgresql/15/bin'
                Nodes = @(@{ Name = 'main'; Role = 'primary'; Address = '127.0.0.1'; Port = 5432; DataDirectory = '/var/lib/postgresql/15/main' }) }
            Set-Content -LiteralPath (Join-Path $folder 'pgha-sandbox.json') -Value ($forged | ConvertTo-Json -Depth 3)
            Remove-PgHaSandbox -Path $folder -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused.FullyQualifiedErrorId | Should -Be 'PgHaSandboxNotFound,PgHa.Cmdlets.RemovePgHaSandboxCommand'
            Test-Path -LiteralPath (Join-Path $folder 'pgha-sandbox.json') | Should -BeTrue
        }
        finally {
            Remove-Item -LiteralPath $folder -Recurse -Force
        }
    }

    It '-WhatIf deletes nothing' {
        $folder = Join-Path $TestDrive 'whatif'
        New-Item -ItemType Directory -Path $folder | Out-Null
        Remove-PgHaSandbox -Path $folder -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $folder | Should -BeTrue
    }
}

Describe 'Remove-PgHaSandbox removing real sandboxes' -Tag Integration {
    BeforeAll {
        $first = Get-PgHaTestAddressBlock
        $newPath = { New-PgHaTestPath -Prefix 'pgha-pester-remove' }
        $serversIn = { param($folder) @(Get-Process -Name postgres -ErrorAction SilentlyContinue | Where-Object { $_.CommandLine -like "*$folder*" }) }
    }

    It 'removes a sandbox piped from New-PgHaSandbox, twice in a row, leaving no server and no folder' {
        foreach ($round in 1, 2) {
            $path = & $newPath
            # One node: the second round reuses the first's address and port at once.
            New-PgHaSandbox -Path $path -Nodes 1 -FirstAddress $first -Confirm:$false | Remove-PgHaSandbox -Confirm:$false
            Test-Path -LiteralPath $path | Should -BeFalse -Because "round $round"
            & $serversIn $path | Should -BeNullOrEmpty -Because "round $round"
        }
    }

    It 'removes a sandbox whose standby was stopped already, and a second removal changes nothing' {
        $path = & $newPath
        $sandbox = New-PgHaSandbox -Path $path -Nodes 2 -FirstAddress $first -Confirm:$false
        try {
            Stop-PgHaNode -DataDirectory $sandbox.Nodes[1].DataDirectory -Mode Fast | Out-Null
            Remove-PgHaSandbox -Path $path -Confirm:$false
            Test-Path -LiteralPath $path | Should -BeFalse
            & $serversIn $path | Should -BeNullOrEmpty

            Remove-PgHaSandbox -Path $path -Confirm:$false -ErrorVariable again
            $again | Should -BeNullOrEmpty
        }
        finally {
            if (Test-Path -LiteralPath $path) { Remove-PgHaSandbox -Path $path -Confirm:$false -ErrorAction SilentlyContinue }
        }
    }
}
