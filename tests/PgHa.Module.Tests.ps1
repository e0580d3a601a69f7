#Requires -Version 7.4
# Pester 5 tests of the module as a whole, as built into output/PgHa/<version>: the manifest
# (Test-ModuleManifest, PSData for the gallery), the exported cmdlets against the [Cmdlet] classes in
# src/ (the manifest's CmdletsToExport is kept by hand), and the definition of done: every cmdlet has
# its Pester file tests/<Verb-Noun>.Tests.ps1; and the help of every cmdlet says what it takes from the
# pipeline. Then the package as a pwsh user gets it: tools/New-PgHaPackage.ps1
# (build.ps1 -Task Package) makes PgHa.<version>.nupkg; a pwsh whose HOME is a test folder registers that
# folder as a repository and runs Install-PSResource PgHa; a fresh pwsh imports PgHa by name.

BeforeDiscovery {
    # The per-cmdlet cases come from the built module, imported here: under a plain Invoke-Pester ./tests
    # nothing has imported it before discovery, and the cases must not silently vanish (no build: the
    # discovery fails, and with it this file).
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $null = Import-PgHaBuiltModule
    $cmdletCases = @(Get-Command -Module PgHa -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule

    $cmdletClasses = Get-PgHaTestCmdletName
}

Describe 'The PgHa module' -Tag UnitTests {
    It 'has [Cmdlet] classes in src/ to compare with' {
        $cmdletClasses.Count | Should -BeGreaterThan 10
    }

    It 'exports exactly the [Cmdlet] classes in src/' {
        @(Get-Command -Module PgHa -CommandType Cmdlet | ForEach-Object Name | Sort-Object) | Should -Be $cmdletClasses
    }

    It 'lists exactly those cmdlets in CmdletsToExport' {
        $data = Import-PowerShellDataFile -LiteralPath $manifest.FullName
        @($data.CmdletsToExport | Sort-Object) | Should -Be $cmdletClasses
    }

    It 'exports no functions, aliases or variables' {
        Get-Command -Module PgHa -CommandType Function, Alias | Should -BeNullOrEmpty
        (Get-Module PgHa).ExportedVariables.Count | Should -Be 0
    }

    It 'has a valid manifest' {
        $tested = Test-ModuleManifest -Path $manifest.FullName -ErrorAction Stop
        $tested.Name | Should -Be 'PgHa'
        $tested.Version | Should -Be ([version](Split-Path -Leaf (Split-Path -Parent $manifest.FullName)))
        $tested.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'carries tags, project and licence URIs and release notes for the gallery' {
        $psData = (Import-PowerShellDataFile -LiteralPath $manifest.FullName).PrivateData.PSData
        $psData.Tags | Should -Contain 'PostgreSQL'
        $psData.ProjectUri | Should -Match '^https://'
        $psData.LicenseUri | Should -Match '^https://'
        $psData.ReleaseNotes | Should -Match ([regex]::Escape((Split-Path -Leaf (Split-Path -Parent $manifest.FullName))))
    }

    It 'names every cmdlet in the release notes' {
        $notes = (Import-PowerShellDataFile -LiteralPath $manifest.FullName).PrivateData.PSData.ReleaseNotes
        @($cmdletClasses | Where-Object { $notes -notmatch "\b$([regex]::Escape($_))\b" }) | Should -BeNullOrEmpty
    }

    It 'points LicenseUri at the LICENSE file of the repository, the licence the Copyright names' {
        $data = Import-PowerShellDataFile -LiteralPath $manifest.FullName
        $data.PrivateData.PSData.LicenseUri | Should -Match '/LICENSE$'
        $license = Join-Path $PSScriptRoot '../LICENSE'
        Test-Path -LiteralPath $license | Should -BeTrue
        $licenseName = (Get-Content -LiteralPath $license -TotalCount 1).Trim()
        $licenseName | Should -Be 'MIT License'
        $data.Copyright | Should -Match ([regex]::Escape($licenseName))
    }

    It 'has a case per cmdlet below (<Count> found in discovery)' -ForEach @{ Count = $cmdletCases.Count } {
        $Count | Should -Be $cmdletClasses.Count
    }

    It 'has a Pester file tests/<Name>.Tests.ps1 for <Name>' -ForEach $cmdletCases {
        Test-Path -LiteralPath (Join-Path $PSScriptRoot "$Name.Tests.ps1") | Should -BeTrue -Because 'a cmdlet is done when the pwsh user''s suite exercises it'
    }
}

Describe 'The help of <Name>' -Tag UnitTests -ForEach $cmdletCases {
    BeforeAll {
        $command = Get-Command -Name $Name -Module PgHa
        $help = Get-Help -Name $Name -Full
        # How each parameter takes pipeline input, over all its parameter sets: ByValue, ByPropertyName.
        $pipelineOf = @{}
        foreach ($parameter in $command.Parameters.Values) {
            $ways = @(foreach ($set in $parameter.ParameterSets.Values) {
                    if ($set.ValueFromPipeline) { 'ByValue' }
                    if ($set.ValueFromPipelineByPropertyName) { 'ByPropertyName' }
                }) | Sort-Object -Unique
            if ($ways) { $pipelineOf[$parameter.Name] = @($ways) }
        }
    }

    It 'does not say INPUTS None when a parameter takes pipeline input' {
        $inputs = @($help.inputTypes.inputType | ForEach-Object { "$($_.type.name)".Trim() } | Where-Object { $_ })
        $inputs | Should -Not -BeNullOrEmpty -Because 'the INPUTS section names what the cmdlet takes (or None)'
        if ($pipelineOf.Count) {
            $inputs | Should -Not -Contain 'None' -Because "$($pipelineOf.Keys -join ', ') take(s) pipeline input"
        }
        else {
            $inputs | Should -Be @('None') -Because 'no parameter takes pipeline input'
        }
    }

    It 'says for each parameter how it takes pipeline input, as the cmdlet binds it' {
        $wrong = foreach ($parameter in @($help.parameters.parameter)) {
            if (-not $parameter) { continue }
            $said = "$($parameter.pipelineInput)"
            $saidWays = @([regex]::Matches($said, 'ByValue|ByPropertyName').Value | Sort-Object -Unique)
            $ways = if ($pipelineOf.ContainsKey($parameter.name)) { $pipelineOf[$parameter.name] } else { @() }
            $saysTrue = $said -match '^\s*true'
            if ($saysTrue -ne [bool]$ways.Count -or (($saidWays -join ',') -ne ($ways -join ','))) {
                "-$($parameter.name): help says '$said', the cmdlet binds $(if ($ways) { $ways -join ', ' } else { 'nothing' }) from the pipeline"
            }
        }
        @($wrong) | Should -BeNullOrEmpty
    }
}

Describe 'The PgHa package' -Tag Integration {
    BeforeAll {
        $feed = Join-Path $TestDrive 'feed'
        $userHome = Join-Path $TestDrive 'home'
        $null = New-Item -ItemType Directory -Path $userHome
        $package = & "$PSScriptRoot/../tools/New-PgHaPackage.ps1" -ModuleDirectory $manifest.Directory.FullName -OutputDirectory $feed
        # The child's PSModulePath is pwsh's default for that HOME: nothing of this run's (output/) in it.
        $childEnvironment = @{ HOME = $userHome; PSModulePath = $null; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null }

        $installScript = Join-Path $TestDrive 'install.ps1'
        Set-Content -LiteralPath $installScript -Value @'
param([string] $Feed)
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name PgHaLocal -Uri $Feed -Trusted
Install-PSResource -Name PgHa -Repository PgHaLocal -Scope CurrentUser
(Get-InstalledPSResource -Name PgHa).InstalledLocation
'@
        $installed = Invoke-PgHaTestPwsh -File $installScript -ArgumentList $feed -Environment $childEnvironment

        $useScript = Join-Path $TestDrive 'use.ps1'
        Set-Content -LiteralPath $useScript -Value @'
$ErrorActionPreference = 'Stop'
Import-Module PgHa
$module = Get-Module PgHa
$tested = Test-ModuleManifest -Path (Join-Path $module.ModuleBase 'PgHa.psd1')
[pscustomobject]@{
    ModuleBase = $module.ModuleBase
    Version    = "$($module.Version)"
    Cmdlets    = @(Get-Command -Module PgHa -CommandType Cmdlet | ForEach-Object Name | Sort-Object)
    Tested     = $tested.Name
    Synopsis   = (Get-Help Get-PgHaCluster).Synopsis
} | ConvertTo-Json -Depth 3
'@
        $used = Invoke-PgHaTestPwsh -File $useScript -Environment $childEnvironment
        $usedModule = if ($used.ExitCode -eq 0) { $used.Output | ConvertFrom-Json } else { $null }
    }

    It 'is one .nupkg named after the module and its version, with the manifest, the loader and bin/' {
        $package.Name | Should -Be "PgHa.$(Split-Path -Leaf $manifest.Directory.FullName).nupkg"
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($package.FullName)
        try { $entries = @($zip.Entries.FullName) } finally { $zip.Dispose() }
        $entries | Should -Contain 'PgHa.psd1'
        $entries | Should -Contain 'PgHa.psm1'
        $entries | Should -Contain 'bin/PgHa.dll'
        $entries | Should -Contain 'en-US/PgHa.dll-Help.xml'
    }

    It 'installs with Install-PSResource from a folder repository into the user''s modules' {
        $installed.ExitCode | Should -Be 0 -Because $installed.Error
        $installed.Output.Trim() | Should -BeLike "$userHome*"
    }

    It 'imports by name in a fresh pwsh, from where it was installed' {
        $used.ExitCode | Should -Be 0 -Because $used.Error
        $usedModule.ModuleBase | Should -BeLike "$userHome*"
        $usedModule.Version | Should -Be (Split-Path -Leaf $manifest.Directory.FullName)
    }

    It 'exports exactly the [Cmdlet] classes in src/ once installed' {
        @($usedModule.Cmdlets) | Should -Be $cmdletClasses
    }

    It 'passes Test-ModuleManifest and has its help once installed' {
        $usedModule.Tested | Should -Be 'PgHa'
        $usedModule.Synopsis | Should -Not -BeNullOrEmpty
        $usedModule.Synopsis | Should -Not -Match '\{\{'
    }
}
