#Requires -Version 7.4
# Pester 5 tests of Test-PgHaCluster against the built module (output/PgHa/<version>).
#   UnitTests:   the parameter contract, the Matrix view, and the errors met before any node is checked (also as
#                the exit codes of examples/check_pgha.ps1 and of the help's exit-code example).
#   Integration: checks a real cluster: the run's shared sandbox (tests/PgHaTestSupport.psm1). Reads only.

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
    $plugin = "$PSScriptRoot/../examples/check_pgha.ps1"

    function Invoke-Plugin([hashtable] $Parameters) {
        # As a scheduler runs it: the exit code and the one line.
        $line = & $plugin -Module $manifest.FullName @Parameters
        "$LASTEXITCODE|$line"
    }

    function Invoke-ExitCodeExample([string] $Conninfo) {
        # The help's example that turns the worst status into an exit code, run as the script file a scheduler
        # would run, with $ci set: returns its exit code.
        $page = Get-Content -Raw -LiteralPath "$PSScriptRoot/../docs/en-US/Test-PgHaCluster.md"
        $code = [regex]::Match($page, '(?s)### Example \d+: A scheduled check that turns the worst status into an exit code\n```powershell\n(.*?)\n```').Groups[1].Value
        $code | Should -Not -BeNullOrEmpty
        $file = Join-Path $TestDrive "exit-code-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content -LiteralPath $file -Value ("`$ci = '{0}'`n{1}" -f ($Conninfo -replace "'", "''"), $code)
        $null = & $file
        $LASTEXITCODE
    }
}

Describe 'Test-PgHaCluster parameter contract' -Tag UnitTests {
    BeforeAll {
        $command = Get-Command -Name Test-PgHaCluster -Module PgHa
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has exactly the parameters it documents' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $own | Should -Be (@('ArchiveReadyCritical', 'ArchiveReadyWarning', 'Check', 'ClockSkewCritical', 'ClockSkewWarning', 'ConnectTimeout', 'Conninfo',
                'Credential', 'LagCritical', 'LagCriticalBytes', 'LagWarning', 'LagWarningBytes', 'MonitorTimeout', 'Quiet',
                'SlotWalCriticalBytes', 'SlotWalWarningBytes') | Sort-Object)
    }

    It 'takes -Conninfo at position 0, from a piped sandbox (Conninfo) or cluster view (MetadataConninfo)' {
        $conninfo = $command.Parameters['Conninfo']
        $conninfo.ParameterSets.Values.Position | Should -Contain 0
        $conninfo.ParameterSets.Values.IsMandatory | Should -Contain $true
        $conninfo.ParameterSets.Values.ValueFromPipelineByPropertyName | Should -Contain $true
        $conninfo.Aliases | Should -Contain 'MetadataConninfo'
    }

    It 'declares PgHa.PgHaCheckResult and a boolean (-Quiet) as its output' {
        $command.OutputType.Name | Should -Contain 'PgHa.PgHaCheckResult'
        $command.OutputType.Name | Should -Contain 'System.Boolean'
    }

    It 'refuses <Parameter> <Value> (warning above critical) with PgHaCheckThresholdInvalid' -ForEach @(
        @{ Parameter = 'ArchiveReadyWarning'; Value = 500 }
        @{ Parameter = 'ClockSkewWarning'; Value = 60 }
        @{ Parameter = 'SlotWalWarningBytes'; Value = 16GB }
    ) {
        $arguments = @{ Conninfo = 'host=127.0.0.1 port=1'; $Parameter = $Value }
        { Test-PgHaCluster @arguments } | Should -Throw -ErrorId 'PgHaCheckThresholdInvalid,PgHa.Cmdlets.TestPgHaClusterCommand'
    }

    It 'refuses -MonitorTimeout 0' {
        { Test-PgHaCluster -Conninfo 'host=127.0.0.1 port=1' -MonitorTimeout 0 } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PgHa.Cmdlets.TestPgHaClusterCommand'
    }

    It 'reports an unreachable cluster as a non-terminating PgHaNodeUnreachable, and -Quiet as $false' {
        Test-PgHaCluster -Conninfo 'host=127.0.0.1 port=1 dbname=pgha' -ConnectTimeout 1 -ErrorAction SilentlyContinue -ErrorVariable failed | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PgHaNodeUnreachable,*'
        Test-PgHaCluster 'host=127.0.0.1 port=1 dbname=pgha' -ConnectTimeout 1 -Quiet -ErrorAction SilentlyContinue | Should -BeFalse
    }

    It 'has a Matrix table view: Node, Peer, Status, Value' {
        $views = @((Get-FormatData -TypeName PgHa.PgHaCheckResult).FormatViewDefinition)
        $views[0].Control.Headers.Label | Should -Be @('Node', 'Check', 'Status', 'Value', 'Message')
        $matrix = @($views | Where-Object Name -eq 'Matrix')
        $matrix.Count | Should -Be 1
        $matrix[0].Control.Headers.Label | Should -Be @('Node', 'Peer', 'Status', 'Value')
    }

    It 'makes examples/check_pgha.ps1 exit 3 (UNKNOWN) when the cluster cannot be read' {
        Invoke-Plugin @{ Conninfo = 'host=127.0.0.1 port=1 dbname=pgha'; ConnectTimeout = 1 } | Should -BeLike "3|PGHA UNKNOWN - Cannot connect to *"
    }

    It 'makes the help''s exit-code example exit 3 (UNKNOWN), not 0, when the cluster cannot be read' {
        Invoke-ExitCodeExample 'host=127.0.0.1 port=1 dbname=pgha' | Should -Be 3
    }
}

Describe 'Test-PgHaCluster against a real cluster' -Tag Integration {
    BeforeAll {
        $ci = (Get-PgHaTestSandbox).Conninfo
        $nodes = @(Get-PgHaNode -Conninfo $ci | Where-Object Active)
        $results = @(Test-PgHaCluster -Conninfo $ci)
    }

    It 'has one SinglePrimary row for the cluster, first' {
        $results[0].Check | Should -Be 'SinglePrimary'
        $results[0].Node | Should -Be '(cluster)'
        @($results | Where-Object Check -eq 'SinglePrimary').Count | Should -Be 1
    }

    It 'has a reachability row for every ordered pair of active nodes' {
        $matrix = @($results | Where-Object Check -eq 'Reachability')
        $matrix.Count | Should -Be ($nodes.Count * ($nodes.Count - 1))
        $matrix | ForEach-Object { $_.Peer | Should -Not -Be $_.Node }
    }

    It 'works as a Pester assertion: every check Ok but the monitors, which the shared sandbox does not run' {
        # The sandbox runs no monitors, so each node's Monitor check says so; everything else must be Ok.
        $results | Where-Object { $_.Status -ne 'Ok' -and $_.Check -ne 'Monitor' } | Should -BeNullOrEmpty
        $monitor = @($results | Where-Object Check -eq 'Monitor')
        $monitor.Count | Should -Be $nodes.Count
        $monitor | ForEach-Object { $_.Status | Should -Be 'Warning'; $_.Message | Should -Match 'Start-PgHaMonitor' }
    }

    It 'takes a cluster view from the pipeline' {
        $fromView = @(Get-PgHaCluster -Conninfo $ci | Test-PgHaCluster -Check SinglePrimary)
        $fromView.Count | Should -Be 1
        $fromView[0].Check | Should -Be 'SinglePrimary'
    }

    It 'shows the matrix in the Matrix view: one row per ordered pair' {
        $text = Test-PgHaCluster -Conninfo $ci -Check Reachability | Format-Table -View Matrix | Out-String -Width 200
        $text | Should -Match '(?m)^Node\s+Peer\s+Status\s+Value\s*$'
        foreach ($from in $nodes.Name) {
            foreach ($to in $nodes.Name | Where-Object { $_ -ne $from }) {
                $text | Should -Match "(?m)^$from\s+$to\s+Ok\s+reachable\s*$"
            }
        }
    }

    It 'makes examples/check_pgha.ps1 exit 1 (WARNING) for the monitors the sandbox does not run' {
        $line = Invoke-Plugin @{ Conninfo = $ci }
        $line | Should -BeLike "1|PGHA WARNING - $($nodes.Count) warning: *"
        foreach ($node in $nodes) { $line | Should -BeLike "*$($node.Name) Monitor not running*" }
        $line | Should -Match "'node\d+ ReplicationLag'=[0-9.]+s;300;600"
    }

    It 'makes examples/check_pgha.ps1 exit 3 (UNKNOWN) for a node that is not registered' {
        Invoke-Plugin @{ Conninfo = $ci; Node = 'no-such-node' } | Should -BeLike "3|PGHA UNKNOWN - *no-such-node*"
    }

    It 'makes the help''s exit-code example exit 1 (WARNING) for the same monitors' {
        Invoke-ExitCodeExample $ci | Should -Be 1
    }

    It 'serializes to JSON without driver types' {
        { $results | ConvertTo-Json -Depth 3 | ConvertFrom-Json } | Should -Not -Throw
    }
}
