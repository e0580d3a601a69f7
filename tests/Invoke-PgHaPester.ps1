#Requires -Version 7.4
<#
.SYNOPSIS
Runs the pwsh user's suite: every tests/*.Tests.ps1 with the pinned Pester against the built module,
integration blocks included, and writes the results as NUnit XML.

.DESCRIPTION
Expects the module built into output/PgHa/<version>/ and Pester restored into output/modules/ (test.sh
and build.ps1 do both; by hand: dotnet build PgHa.sln -c Release; dotnet build tools/PowerShellModules).
The integration blocks share one sandbox cluster, made by the first file that needs it
(tests/PgHaTestSupport.psm1) and removed here at the end. Needs root: the sandbox's servers run as postgres.

The exit code is the number of failed tests; a run that executed no test, or skipped one, exits non-zero too.
#>
[CmdletBinding()]
param(
    # Where the NUnit XML results go.
    [string] $OutputFile = ([IO.Path]::Combine($PSScriptRoot, '..', 'TestResults', 'pester.xml')),

    # Test files or folders; all of tests/*.Tests.ps1 by default.
    [string[]] $Path = @(Get-ChildItem -Path $PSScriptRoot -Filter '*.Tests.ps1' -File | ForEach-Object FullName),

    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Verbosity = 'Normal'
)

# No Set-StrictMode here: the test files would inherit it, and they run as a user's Invoke-Pester runs them.
$ErrorActionPreference = 'Stop'

$root = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..'))
$pesterVersion = (Import-PowerShellDataFile -Path ([IO.Path]::Combine($root, 'tools', 'requirements.psd1'))).Pester
# The NuGet restore's copy (tools/PowerShellModules) first; a Gallery install elsewhere on the path also does.
$env:PSModulePath = [IO.Path]::Combine($root, 'output', 'modules') + [IO.Path]::PathSeparator + $env:PSModulePath
if (-not (Get-Module -ListAvailable -Name Pester | Where-Object Version -eq ([version]$pesterVersion))) {
    throw "Pester $pesterVersion is not installed: run 'dotnet build tools/PowerShellModules' (restores it from NuGet into output/modules)."
}
Import-Module -Name Pester -RequiredVersion $pesterVersion
Import-Module ([IO.Path]::Combine($PSScriptRoot, 'PgHaTestSupport.psm1'))
$null = Import-PgHaBuiltModule

$null = New-Item -ItemType Directory -Path ([IO.Path]::GetDirectoryName([IO.Path]::GetFullPath($OutputFile))) -Force
$configuration = New-PesterConfiguration
# pwsh -File passes a list as one comma-separated string.
$configuration.Run.Path = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Verbosity
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = [IO.Path]::GetFullPath($OutputFile)

$started = [Diagnostics.Stopwatch]::StartNew()
$result = $null
try {
    $result = Invoke-Pester -Configuration $configuration
}
finally {
    Remove-PgHaTestSandbox
}

if (-not $result) {
    Write-Host 'pester: Invoke-Pester returned no result; no test ran.'
    exit 1
}
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Host ('pester: {0} passed, {1} failed, {2} skipped, {3} not run in {4:N0} s' -f
    $result.PassedCount, $failed, $result.SkippedCount, $result.NotRunCount, $started.Elapsed.TotalSeconds)
if ($result.TotalCount -eq 0 -or $result.PassedCount -eq 0) {
    Write-Host 'pester: no test ran.'
    exit 1
}
if ($result.SkippedCount -gt 0) {
    # Every file gets the servers it needs from the run: a skipped test is a test that did not run.
    Write-Host "pester: $($result.SkippedCount) skipped: $(($result.Skipped | ForEach-Object ExpandedPath) -join '; ')"
}
exit ([Math]::Min(255, $failed + $result.SkippedCount))
