#Requires -Version 7.4
<#
.SYNOPSIS
Packs the built module (output/PgHa/<version>) into PgHa.<version>.nupkg, the package PSResourceGet
installs (Install-PSResource) from a repository: a folder, a NuGet feed or the PowerShell Gallery.

.DESCRIPTION
Publish-PSResource to a local file repository registered in a child pwsh whose HOME is a temporary
folder: PSResourceGet keeps its repository list and its installs under HOME, and this machine's user
must not find a test repository there afterwards. Used by build.ps1 -Task Package and by
tests/PgHa.Module.Tests.ps1 (its package Describe). Returns the .nupkg file.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleDirectory,
    [Parameter(Mandatory)] [string] $OutputDirectory
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ModuleDirectory = (Resolve-Path -LiteralPath $ModuleDirectory).ProviderPath
$null = New-Item -ItemType Directory -Path $OutputDirectory -Force
$OutputDirectory = (Resolve-Path -LiteralPath $OutputDirectory).ProviderPath
$version = (Import-PowerShellDataFile -LiteralPath ([IO.Path]::Combine($ModuleDirectory, 'PgHa.psd1'))).ModuleVersion

# This pwsh again: an installed pwsh, or the pinned .NET tool (dotnet + pwsh.dll), which needs no tool
# manifest when started by its dll (a child whose HOME moved would not find the manifest's restore).
$pwsh = @([Environment]::ProcessPath)
if ([IO.Path]::GetFileNameWithoutExtension($pwsh[0]) -eq 'dotnet') { $pwsh += [Environment]::GetCommandLineArgs()[0] }

$work = [IO.Path]::Combine([IO.Path]::GetTempPath(), 'pgha-package-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$repository = [IO.Path]::Combine($work, 'repository')
$null = New-Item -ItemType Directory -Path $repository, ([IO.Path]::Combine($work, 'home')) -Force
$savedHome = $env:HOME
# From the temporary folder: PSResourceGet's NuGet client may leave a NuGet/NuGet.Config in the working
# directory.
Push-Location -LiteralPath $work
try {
    $env:HOME = [IO.Path]::Combine($work, 'home')
    # A script file, not -Command {...} -args: when this pwsh is the .NET tool the child is started as
    # dotnet, which PowerShell does not recognise as pwsh, so a script block would not be passed as one.
    $publish = [IO.Path]::Combine($work, 'publish.ps1')
    Set-Content -LiteralPath $publish -Value @'
param([string] $ModuleDirectory, [string] $Repository)
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name PgHaPack -Uri $Repository -Trusted
# The module has no module dependencies; its .NET dependencies are in bin/.
Publish-PSResource -Path $ModuleDirectory -Repository PgHaPack -SkipDependenciesCheck
'@
    $exe = $pwsh[0]
    $leading = @($pwsh | Select-Object -Skip 1)
    & $exe @leading -NoProfile -NonInteractive -File $publish $ModuleDirectory $repository
    if ($LASTEXITCODE -ne 0) { throw "Publish-PSResource of $ModuleDirectory failed (exit code $LASTEXITCODE)." }
}
finally {
    Pop-Location
    $env:HOME = $savedHome
}
$package = [IO.Path]::Combine($repository, "PgHa.$version.nupkg")
if (-not (Test-Path -LiteralPath $package)) { throw "Publish-PSResource made no $package." }
Move-Item -LiteralPath $package -Destination ([IO.Path]::Combine($OutputDirectory, "PgHa.$version.nupkg")) -Force
Remove-Item -LiteralPath $work -Recurse -Force
Get-Item -LiteralPath ([IO.Path]::Combine($OutputDirectory, "PgHa.$version.nupkg"))
