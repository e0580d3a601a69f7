# The parameter contract Suspend-PgHaMonitor and Resume-PgHaMonitor share (one base class, one set of
# parameters), as It blocks. Dot-source it inside the contract Describe of each, after a BeforeAll that sets
# $command (Get-Command of the cmdlet) and $common (the common parameters):
#     . $PSScriptRoot/PgHaMonitorPause.Contract.ps1
# Not a *.Tests.ps1 file, so the runner does not run it on its own.

It 'has exactly the parameters it documents' {
    $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
    $own | Should -Be (@('ConnectTimeout', 'Conninfo', 'Credential', 'EtcdCredential', 'SecretFile', 'Wait') | Sort-Object)
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
    { & $command -Conninfo 'host=127.0.0.1 port=1' -Wait 601 -WhatIf } |
        Should -Throw -ErrorId "ParameterArgumentValidationError,$($command.ImplementingType.FullName)"
}

It 'declares PgHa.PgHaMonitorStatus as its output type' {
    $command.OutputType.Name | Should -Be @('PgHa.PgHaMonitorStatus')
}

It 'connects to nothing and returns nothing under -WhatIf' {
    # Nothing listens on port 1: any connection attempt would be an error.
    & $command -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -WhatIf -ErrorVariable failed | Should -BeNullOrEmpty
    $failed | Should -BeNullOrEmpty
}

It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
    { & $command -Conninfo "host='unterminated" -Confirm:$false } | Should -Throw -ErrorId "PgHaConninfoInvalid,$($command.ImplementingType.FullName)"
}

It 'refuses a -SecretFile that is missing or that others may read, before connecting' {
    & $command -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -SecretFile (Join-Path $TestDrive 'none') -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable missing | Should -BeNullOrEmpty
    $missing[0].FullyQualifiedErrorId | Should -BeLike 'PgHaClusterSecretMissing,*'
    $exposed = Join-Path $TestDrive "exposed-secret-$($command.Name)"
    [Convert]::ToBase64String([byte[]](1..48)) | Set-Content -LiteralPath $exposed
    & chmod 644 $exposed
    & $command -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -SecretFile $exposed -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable shown | Should -BeNullOrEmpty
    $shown[0].FullyQualifiedErrorId | Should -BeLike 'PgHaClusterSecretExposed,*'
    $shown[0].Exception.Message | Should -Not -Match ([regex]::Escape([Convert]::ToBase64String([byte[]](1..48))))
}

It 'reports an unreachable cluster as a non-terminating PgHaNodeUnreachable' {
    # A valid cluster secret (mode 0600), so that the call gets as far as connecting whatever the environment holds.
    $secret = Join-Path $TestDrive "secret-$([guid]::NewGuid().ToString('N'))"
    [Convert]::ToBase64String([byte[]](1..48)) | Set-Content -LiteralPath $secret
    & chmod 600 $secret
    & $command -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -SecretFile $secret -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failed | Should -BeNullOrEmpty
    $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeUnreachable,*'
}
