#Requires -Version 7.4
<#
.SYNOPSIS
Builds, tests, documents and packages PgHa.

.DESCRIPTION
Build   dotnet build of the test project, which builds the module into output/PgHa/<version>/.
Test    Build, then the xunit tests (dotnet test), then the Pester files tests/*.Tests.ps1 against the built module.
Docs    Refreshes docs/en-US from the built module with platyPS (new pages for undocumented cmdlets).
Package Build, then zips output/PgHa/<version> into output/PgHa.<version>.zip.

The module and the pinned tools are loaded in a child pwsh: a binary module cannot be unloaded, so
importing a freshly built PgHa.dll into this session would test (or document) a stale one next time.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Docs', 'Package')]
    [string]$Task = 'Build',

    [string]$Configuration = 'Release'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$requirements = Import-PowerShellDataFile -Path ([IO.Path]::Combine($PSScriptRoot, 'tools', 'requirements.psd1'))
$version = (Import-PowerShellDataFile -Path ([IO.Path]::Combine($PSScriptRoot, 'PgHa.psd1'))).ModuleVersion
$moduleDirectory = [IO.Path]::Combine($PSScriptRoot, 'output', 'PgHa', $version)
$moduleManifest = [IO.Path]::Combine($moduleDirectory, 'PgHa.psd1')
$docsDirectory = [IO.Path]::Combine($PSScriptRoot, 'docs', 'en-US')
$testProject = [IO.Path]::Combine($PSScriptRoot, 'tests', 'PgHa.Tests')

function Invoke-DotNet {
    param([Parameter(Mandatory)] [string[]]$ArgumentList)

    & dotnet @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE."
    }
}

function Install-PinnedModule {
    param([Parameter(Mandatory)] [string]$Name)

    $requiredVersion = $requirements[$Name]
    if (-not (Get-Module -ListAvailable -Name $Name | Where-Object { $_.Version -eq [version]$requiredVersion })) {
        # -SkipPublisherCheck: Windows ships an old Pester signed by another publisher.
        Install-Module -Name $Name -RequiredVersion $requiredVersion -Scope CurrentUser -Force -SkipPublisherCheck
    }
    $requiredVersion
}

function Invoke-ChildPwsh {
    param([Parameter(Mandatory)] [scriptblock]$ScriptBlock, [object[]]$ArgumentList = @())

    & ([Environment]::ProcessPath) -NoProfile -NonInteractive -Command $ScriptBlock -args $ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "The child pwsh for task '$Task' failed with exit code $LASTEXITCODE."
    }
}

function Invoke-Build {
    Invoke-DotNet -ArgumentList 'build', $testProject, '-c', $Configuration
    if (-not (Test-Path -LiteralPath $moduleManifest)) {
        throw "The build did not produce $moduleManifest."
    }
}

switch ($Task) {
    'Build' {
        Invoke-Build
    }
    'Test' {
        Invoke-Build
        Invoke-DotNet -ArgumentList 'test', $testProject, '-c', $Configuration, '--no-build'

        $pesterFiles = @(Get-ChildItem -Path ([IO.Path]::Combine($PSScriptRoot, 'tests')) -Filter '*.Tests.ps1' -File)
        if ($pesterFiles.Count -eq 0) {
            Write-Host 'No Pester files in tests/.'
            return
        }
        $pesterVersion = Install-PinnedModule -Name Pester
        Invoke-ChildPwsh -ArgumentList $pesterVersion, $moduleManifest, $pesterFiles.FullName -ScriptBlock {
            param($PesterVersion, $ModuleManifest, [string[]]$Paths)
            $ErrorActionPreference = 'Stop'
            Import-Module -Name Pester -RequiredVersion $PesterVersion
            Import-Module -Name $ModuleManifest
            $configuration = New-PesterConfiguration
            $configuration.Run.Path = $Paths
            $configuration.Run.Exit = $true   # the exit code is the number of failed tests
            $configuration.Output.Verbosity = 'Detailed'
            Invoke-Pester -Configuration $configuration
        }
    }
    'Docs' {
        Invoke-Build
        $platyPSVersion = Install-PinnedModule -Name platyPS
        Invoke-ChildPwsh -ArgumentList $platyPSVersion, $moduleManifest, $docsDirectory -ScriptBlock {
            param($PlatyPSVersion, $ModuleManifest, $DocsDirectory)
            $ErrorActionPreference = 'Stop'
            Import-Module -Name platyPS -RequiredVersion $PlatyPSVersion
            Import-Module -Name $ModuleManifest
            foreach ($command in Get-Command -Module PgHa -CommandType Cmdlet) {
                if (-not (Test-Path -LiteralPath ([IO.Path]::Combine($DocsDirectory, "$($command.Name).md")))) {
                    $null = New-MarkdownHelp -Command $command.Name -OutputFolder $DocsDirectory
                }
            }
            # about_* pages are written by hand; platyPS only refreshes cmdlet pages.
            $cmdletPages = Get-ChildItem -Path $DocsDirectory -Filter '*.md' -File | Where-Object Name -NotLike 'about_*'
            $null = Update-MarkdownHelp -Path $cmdletPages.FullName -AlphabeticParamsOrder:$false
        }
        Write-Host "Updated $docsDirectory; fill in every '{{ ... }}' placeholder (the help tests reject them)."
    }
    'Package' {
        Invoke-Build
        # The zip holds the version folder's contents: unzip into <PSModulePath>/PgHa/<version>/.
        # output/PgHa/<version> itself is ready for Publish-Module -Path.
        $archive = [IO.Path]::Combine($PSScriptRoot, 'output', "PgHa.$version.zip")
        Compress-Archive -Path ([IO.Path]::Combine($moduleDirectory, '*')) -DestinationPath $archive -Force
        Write-Host "Packaged $archive"
    }
}
