# PgHa loader. PgHa.Shared.dll goes into the default load context; it creates PgHa's own
# AssemblyLoadContext and loads PgHa.dll (the cmdlets) and its dependencies there, so Npgsql,
# SSH.NET and Microsoft.Extensions.* never clash with other modules or the host.
# Only engine built-ins are used here: a hosted runspace has no Add-Type or Join-Path.

$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core
$binDirectory = [System.IO.Path]::Combine($PSScriptRoot, 'bin')

$isReload = $true
if (-not ('PgHa.Shared.LoadContext' -as [type])) {
    $isReload = $false
    $null = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($binDirectory, 'PgHa.Shared.dll'))
}

$mainAssembly = [PgHa.Shared.LoadContext]::Initialize()
$innerModule = & $importModule -Assembly $mainAssembly -PassThru:$isReload

if ($innerModule) {
    # On 'Import-Module PgHa -Force' the engine reuses the cached assembly module and does not put
    # its cmdlets in this module's scope again (PowerShell/PowerShell#20710): add them by hand.
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
        'AddExportedCmdlet',
        [System.Reflection.BindingFlags]'Instance, NonPublic')
    foreach ($command in $innerModule.ExportedCmdlets.Values) {
        $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $command))
    }
}
