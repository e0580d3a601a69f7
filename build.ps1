#Requires -Version 7.4
<#
.SYNOPSIS
Builds, tests, documents and packages PgHa.

.DESCRIPTION
Build   dotnet build PgHa.sln: the module into output/PgHa/<version>/ (with its MAML help, made from
        docs/en-US by tools/PgHa.HelpBuilder), the tests and tools; then tools/PowerShellModules, which
        restores the Pester pinned in tools/requirements.psd1 from NuGet into output/modules/.
Test    Build, then the xunit tests (dotnet test), then the Pester files tests/*.Tests.ps1 against the
        built module (tests/Invoke-PgHaPester.ps1: integration blocks included, on a sandbox cluster it
        makes; needs root).
Docs    Build, then refreshes docs/en-US with platyPS (new pages for undocumented cmdlets) where platyPS
        can be installed from the PowerShell Gallery. Where it cannot, checks that every cmdlet has its
        page and that Get-Help shows it from the MAML the build made of the same markdown.
Package Build, then output/PgHa.<version>.nupkg (tools/New-PgHaPackage.ps1): the package
        Install-PSResource installs from a folder, a NuGet feed or the Gallery.

Run with the pinned pwsh from the repository's folder: dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
(or any pwsh 7.4+). The module and the pinned tools are loaded in a child pwsh: a binary module cannot be
unloaded, so importing a freshly built PgHa.dll into this session would test (or document) a stale one next time.
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
$toolModules = [IO.Path]::Combine($PSScriptRoot, 'output', 'modules')
$docsDirectory = [IO.Path]::Combine($PSScriptRoot, 'docs', 'en-US')
$solution = [IO.Path]::Combine($PSScriptRoot, 'PgHa.sln')

function Invoke-DotNet {
    param([Parameter(Mandatory)] [string[]]$ArgumentList)

    & dotnet @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE."
    }
}

# This pwsh again, for the child: an installed pwsh, or the pinned .NET tool (dotnet + pwsh.dll). A script
# block goes as a temporary script file (-File): dotnet is not recognised as pwsh, so -Command {...} -args
# would not be passed on as a script block.
function Invoke-ChildPwsh {
    param([string]$File, [scriptblock]$ScriptBlock, [string[]]$ArgumentList = @())

    $exe = [Environment]::ProcessPath
    $leading = @()
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $leading = @([Environment]::GetCommandLineArgs()[0]) }
    $temporary = $null
    if ($ScriptBlock) {
        $temporary = [IO.Path]::Combine([IO.Path]::GetTempPath(), 'pgha-build-' + [guid]::NewGuid().ToString('N') + '.ps1')
        Set-Content -LiteralPath $temporary -Value $ScriptBlock.ToString()
        $File = $temporary
    }
    try {
        & $exe @leading -NoProfile -NonInteractive -File $File @ArgumentList
        if ($LASTEXITCODE -ne 0) {
            throw "The child pwsh for task '$Task' failed with exit code $LASTEXITCODE."
        }
    }
    finally {
        if ($temporary) { Remove-Item -LiteralPath $temporary -Force }
    }
}

# platyPS is not on NuGet: the PowerShell Gallery only. $null where the Gallery is out of reach.
function Install-GalleryModule {
    param([Parameter(Mandatory)] [string]$Name)

    $requiredVersion = $requirements[$Name]
    if (Get-Module -ListAvailable -Name $Name | Where-Object { $_.Version -eq [version]$requiredVersion }) {
        return $requiredVersion
    }
    try {
        Install-PSResource -Name $Name -Version $requiredVersion -Repository PSGallery -Scope CurrentUser -TrustRepository -ErrorAction Stop
        return $requiredVersion
    }
    catch {
        Write-Warning "$Name $requiredVersion cannot be installed from the PowerShell Gallery: $($_.Exception.Message)"
        return $null
    }
}

function Invoke-Build {
    Invoke-DotNet -ArgumentList 'build', $solution, '-c', $Configuration
    if (-not (Test-Path -LiteralPath $moduleManifest)) {
        throw "The build did not produce $moduleManifest."
    }
    # Pester from NuGet (tools/requirements.psd1), where the Gallery is out of reach as well as where it is not.
    Invoke-DotNet -ArgumentList 'build', ([IO.Path]::Combine($PSScriptRoot, 'tools', 'PowerShellModules')), '-c', $Configuration
}

switch ($Task) {
    'Build' {
        Invoke-Build
    }
    'Test' {
        Invoke-Build
        Invoke-DotNet -ArgumentList 'test', $solution, '-c', $Configuration, '--no-build'
        $results = [IO.Path]::Combine($PSScriptRoot, 'TestResults', 'pester.xml')
        Invoke-ChildPwsh -File ([IO.Path]::Combine($PSScriptRoot, 'tests', 'Invoke-PgHaPester.ps1')) -ArgumentList '-OutputFile', $results
    }
    'Docs' {
        Invoke-Build
        $platyPSVersion = Install-GalleryModule -Name platyPS
        if ($platyPSVersion) {
            $script = {
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
            Invoke-ChildPwsh -ScriptBlock $script -ArgumentList $platyPSVersion, $moduleManifest, $docsDirectory
            Write-Host "Updated $docsDirectory; fill in every '{{ ... }}' placeholder (the help tests reject them)."
        }
        else {
            # Without platyPS no page is generated; the MAML of the existing pages is (the build made it).
            $script = {
                param($ModuleManifest, $DocsDirectory)
                $ErrorActionPreference = 'Stop'
                Import-Module -Name $ModuleManifest
                $missing = @(Get-Command -Module PgHa -CommandType Cmdlet | Where-Object {
                        -not (Test-Path -LiteralPath ([IO.Path]::Combine($DocsDirectory, "$($_.Name).md"))) -or
                        -not (Get-Help -Name $_.Name -Full).Description })
                if ($missing) { throw "No help page in $DocsDirectory (or no description in Get-Help) for: $($missing.Name -join ', ')." }
                Write-Host "Every PgHa cmdlet has its page in $DocsDirectory and its help in the built module."
            }
            Invoke-ChildPwsh -ScriptBlock $script -ArgumentList $moduleManifest, $docsDirectory
            Write-Host 'platyPS was not installed, so no page was refreshed or added: write a new cmdlet''s page by hand in platyPS''s schema (see docs/en-US).'
        }
    }
    'Package' {
        Invoke-Build
        $package = & ([IO.Path]::Combine($PSScriptRoot, 'tools', 'New-PgHaPackage.ps1')) -ModuleDirectory $moduleDirectory -OutputDirectory ([IO.Path]::Combine($PSScriptRoot, 'output'))
        Write-Host "Packaged $($package.FullName): Install-PSResource PgHa from a repository holding it (see README)."
    }
}
