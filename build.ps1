#Requires -Version 7.4
<#
.SYNOPSIS
Builds, tests, documents and packages PgHa.

.DESCRIPTION
Build   dotnet build PgHa.sln: the module into output/PgHa/<version>/ (with its MAML help, made from
        docs/en-US by tools/PgHa.HelpBuilder), the tests and tools; then the Pester pinned in
        tools/requirements.psd1 into output/modules/, unless it is there already: from the PowerShell
        Gallery (Save-PSResource), or, where the Gallery does not answer within a few seconds, from its
        NuGet package (tools/PowerShellModules, as test.sh does).
Test    Build, then the suite test.sh runs: the xunit tests (dotnet test, without the [Trait("Speed",
        "Slow")] scenarios, which bench/faults.sh runs), then the Pester files tests/*.Tests.ps1 against
        the built module (tests/Invoke-PgHaPester.ps1: integration blocks included, on a sandbox cluster
        it makes; needs root, and the servers test.sh installs through tools/setup.sh).
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

# Whether the PowerShell Gallery (PSResourceGet's PSGallery repository) answers an HTTP request within
# $TimeoutSeconds; asked once per run. PSResourceGet has no timeout of its own, and where a firewall drops the
# packets its first request would wait minutes.
$script:galleryAnswers = $null
function Test-Gallery {
    param([int]$TimeoutSeconds = 10)

    if ($null -ne $script:galleryAnswers) { return $script:galleryAnswers }
    $script:galleryAnswers = $false
    $gallery = Get-PSResourceRepository -Name PSGallery -ErrorAction SilentlyContinue
    if (-not $gallery) {
        Write-Warning 'No PSGallery repository is registered (Register-PSResourceRepository -PSGallery).'
        return $false
    }
    $client = [Net.Http.HttpClient]::new()
    $client.Timeout = [TimeSpan]::FromSeconds($TimeoutSeconds)
    try {
        $null = $client.GetAsync($gallery.Uri).GetAwaiter().GetResult().EnsureSuccessStatusCode()
        $script:galleryAnswers = $true
    }
    catch {
        $failure = $_.Exception
        while ($failure.InnerException) { $failure = $failure.InnerException }
        Write-Warning "The PowerShell Gallery ($($gallery.Uri)) does not answer within $TimeoutSeconds s: $($failure.Message)"
    }
    finally {
        $client.Dispose()
    }
    $script:galleryAnswers
}

# platyPS is not on NuGet: the PowerShell Gallery only. $null where the Gallery is out of reach.
function Install-GalleryModule {
    param([Parameter(Mandatory)] [string]$Name)

    $requiredVersion = $requirements[$Name]
    if (Get-Module -ListAvailable -Name $Name | Where-Object { $_.Version -eq [version]$requiredVersion }) {
        return $requiredVersion
    }
    if (-not (Test-Gallery)) {
        Write-Warning "$Name $requiredVersion cannot be installed from the PowerShell Gallery."
        return $null
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

# Pester (tools/requirements.psd1) into output/modules/Pester/<version>/, where tests/Invoke-PgHaPester.ps1
# looks first: from the PowerShell Gallery where it answers, else from the NuGet package of the same version
# (tools/PowerShellModules). The Gallery is asked only after a probe of its address with a short timeout, so
# a machine that cannot reach it (no DNS, or a firewall that drops the packets) falls back within seconds.
function Install-Pester {
    $pesterVersion = $requirements.Pester
    $pesterDirectory = [IO.Path]::Combine($toolModules, 'Pester', $pesterVersion)
    if (Test-Path -LiteralPath ([IO.Path]::Combine($pesterDirectory, 'Pester.psd1'))) {
        Write-Verbose "Pester $pesterVersion is in $pesterDirectory."
        return
    }
    if (Save-GalleryModule -Name Pester -Version $pesterVersion -Destination $toolModules) {
        Write-Host "Pester $pesterVersion saved from the PowerShell Gallery into $pesterDirectory."
        return
    }
    Invoke-DotNet -ArgumentList 'build', ([IO.Path]::Combine($PSScriptRoot, 'tools', 'PowerShellModules')), '-c', $Configuration, '-nologo', '-v', 'quiet'
    Write-Host "Pester $pesterVersion restored from its NuGet package into $pesterDirectory."
}

# Save-PSResource of one pinned module from the PowerShell Gallery into <Destination>/<Name>/<Version>/;
# $false, with a warning, where the Gallery does not answer within $TimeoutSeconds or the save fails.
function Save-GalleryModule {
    param(
        [Parameter(Mandatory)] [string]$Name,
        [Parameter(Mandatory)] [string]$Version,
        [Parameter(Mandatory)] [string]$Destination,
        [int]$TimeoutSeconds = 10
    )

    if (-not (Test-Gallery -TimeoutSeconds $TimeoutSeconds)) {
        Write-Warning "$Name $Version comes from its NuGet package."
        return $false
    }
    # Into a temporary folder beside the destination first (same file system, so the folder moves): a save
    # that fails halfway leaves nothing where Invoke-PgHaPester.ps1 looks.
    $temporary = [IO.Path]::Combine($Destination, '.pgha-gallery-' + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $temporary -Force
    try {
        Save-PSResource -Name $Name -Version $Version -Repository PSGallery -Path $temporary -TrustRepository -Quiet -ErrorAction Stop
        $saved = [IO.Path]::Combine($temporary, $Name, $Version)
        if (-not (Test-Path -LiteralPath ([IO.Path]::Combine($saved, "$Name.psd1")))) {
            throw "Save-PSResource left no $Name.psd1 in $saved."
        }
        $target = [IO.Path]::Combine($Destination, $Name, $Version)
        $null = New-Item -ItemType Directory -Path ([IO.Path]::GetDirectoryName($target)) -Force
        if (Test-Path -LiteralPath $target) { Remove-Item -LiteralPath $target -Recurse -Force }
        Move-Item -LiteralPath $saved -Destination $target
        return $true
    }
    catch {
        Write-Warning "$Name $Version cannot be saved from the PowerShell Gallery: $($_.Exception.Message) It comes from NuGet."
        return $false
    }
    finally {
        Remove-Item -LiteralPath $temporary -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Invoke-Build {
    Invoke-DotNet -ArgumentList 'build', $solution, '-c', $Configuration
    if (-not (Test-Path -LiteralPath $moduleManifest)) {
        throw "The build did not produce $moduleManifest."
    }
    Install-Pester
}

switch ($Task) {
    'Build' {
        Invoke-Build
    }
    'Test' {
        Invoke-Build
        # The filter test.sh gives: the slow fault scenarios are bench/faults.sh's.
        Invoke-DotNet -ArgumentList 'test', $solution, '-c', $Configuration, '--no-build', '--filter', 'Speed!=Slow'
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
