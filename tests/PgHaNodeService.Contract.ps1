# The parameter contract Start-, Stop- and Restart-PgHaNode share, as It blocks. Dot-source it inside the
# contract Describe of each, after a BeforeAll that sets $command (Get-Command of the cmdlet):
#     . $PSScriptRoot/PgHaNodeService.Contract.ps1
# Not a *.Tests.ps1 file, so the runner does not run it on its own.

It 'has the parameter sets Path (default), InputObject and Name' {
    @($command.ParameterSets.Name | Sort-Object) | Should -Be @('InputObject', 'Name', 'Path')
    $command.DefaultParameterSet | Should -Be 'Path'
}

It 'binds -<Parameter> in set <Set>: mandatory <Mandatory>' -ForEach @(
    @{ Parameter = 'DataDirectory'; Set = 'Path'; Mandatory = $true }
    @{ Parameter = 'DataDirectory'; Set = 'Name'; Mandatory = $false }
    @{ Parameter = 'InputObject'; Set = 'InputObject'; Mandatory = $true }
    @{ Parameter = 'Name'; Set = 'Name'; Mandatory = $true }
    @{ Parameter = 'Conninfo'; Set = 'Name'; Mandatory = $true }
    @{ Parameter = 'SshHost'; Set = 'Path'; Mandatory = $false }
) {
    $setInfo = $command.ParameterSets | Where-Object Name -eq $Set
    $bound = $setInfo.Parameters | Where-Object Name -eq $Parameter
    $bound | Should -Not -BeNullOrEmpty
    $bound.IsMandatory | Should -Be $Mandatory
}

It 'takes PgHa.PgHaNode objects from the pipeline' {
    $command.Parameters['InputObject'].ParameterType.FullName | Should -Be 'PgHa.PgHaNode'
    $command.Parameters['InputObject'].ParameterSets['InputObject'].ValueFromPipeline | Should -BeTrue
}

It 'supports -WhatIf and -Confirm at ConfirmImpact Medium, waits 60 s by default' {
    $command.Parameters.Keys | Should -Contain 'WhatIf'
    $command.Parameters.Keys | Should -Contain 'Confirm'
    $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'Medium'
    $command.Parameters['Wait'].ParameterType | Should -Be ([int])
    $command.ImplementingType::new().Wait | Should -Be 60
}

It 'declares PgHa.PgHaNodeServiceResult as its output type' {
    $command.OutputType.Name | Should -Contain 'PgHa.PgHaNodeServiceResult'
}

It 'rejects a malformed conninfo with PgHaConninfoInvalid before connecting' {
    { & $command -Conninfo "host='unterminated" -Name node2 -WhatIf } |
        Should -Throw -ErrorId "PgHaConninfoInvalid,$($command.ImplementingType.FullName)"
}

It 'refuses a directory that is not a data directory with PgHaDataDirectoryNotFound' {
    $empty = New-Item -ItemType Directory -Path (Join-Path $TestDrive "not-a-datadir-$($command.Name)")
    & $command -DataDirectory $empty.FullName -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaDataDirectoryNotFound,*'
}
