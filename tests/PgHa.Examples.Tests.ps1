#Requires -Version 7.4
# Pester 5 tests that make the help's examples evidence: every example block of docs/en-US/*.md that only
# reads (it calls Get-PgHaCluster, Get-PgHaNode, Get-PgHaEvent or Get-PgHaMonitor and nothing that changes
# a node, waits for a condition or calls the reader's own functions) runs against the run's shared sandbox
# (tests/PgHaTestSupport.psm1) and must end without an error. The examples name their nodes pg1, pg2, pg3
# at 'host=pgN ...': those become the sandbox's node1, node2, node3 and their conninfos, and $ci is the
# sandbox's conninfo where an example uses it without setting it.

BeforeDiscovery {
    $readers = 'Get-PgHaCluster', 'Get-PgHaNode', 'Get-PgHaEvent', 'Get-PgHaMonitor'
    # What an example must not do here: change something, wait for a state, or call what only the reader has.
    $excluded = '(?i)\b(Remove|Unregister|Register|Stop|Start|Restart|Invoke|New|Suspend|Resume|Send)-\w+|\bdo\s*\{|\bwhile\s*\(|Read-Host|\$cred\b|Get-Credential'
    $examples = foreach ($page in Get-ChildItem -Path "$PSScriptRoot/../docs/en-US" -Filter '*-PgHa*.md' -File) {
        $text = Get-Content -LiteralPath $page.FullName -Raw
        $section = [regex]::Match($text, '(?s)## EXAMPLES(.*?)\n## PARAMETERS').Groups[1].Value
        foreach ($example in [regex]::Matches($section, '(?s)### (?<title>[^\n]+)\n```powershell\n(?<code>.*?)\n```')) {
            $code = $example.Groups['code'].Value
            $callsReader = $readers | Where-Object { $code -match [regex]::Escape($_) }
            if ($callsReader -and $code -notmatch $excluded) {
                @{ Page = $page.BaseName; Title = $example.Groups['title'].Value; Code = $code }
            }
        }
    }
}

BeforeAll {
    Import-Module "$PSScriptRoot/PgHaTestSupport.psm1"
    $manifest = Import-PgHaBuiltModule
}

Describe 'The help examples that only read, against a sandbox' -Tag Integration {
    BeforeAll {
        $sandbox = Get-PgHaTestSandbox
        $conninfoOf = @{}
        foreach ($node in $sandbox.Nodes) { $conninfoOf[$node.Name] = $node.Conninfo }

        function ConvertTo-SandboxExample([string] $Code) {
            # 'host=pg2 port=5432 user=pgha dbname=pgha' (any keywords after host) -> node2's conninfo.
            $Code = [regex]::Replace($Code, "(['`"])host=pg(\d)\b[^'`"]*\1", { param($m) "'" + $conninfoOf["node$($m.Groups[2].Value)"] + "'" })
            $Code = [regex]::Replace($Code, "\bpg(\d)\b", 'node$1')
            $Code -replace "'pg\*'", "'node*'"
        }
    }

    It 'has examples to run (<Count> found)' -ForEach @{ Count = @($examples).Count } {
        # Guards the discovery above: a change of the pages' layout must not silently run nothing.
        $Count | Should -BeGreaterThan 5
    }

    It '<Page>: <Title>' -ForEach $examples {
        $runnable = ConvertTo-SandboxExample $Code
        $work = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $work
        $ci = $sandbox.Conninfo
        # Every error stops the example; what it writes to the host or as warnings does not matter here.
        $block = [scriptblock]::Create("`$ErrorActionPreference = 'Stop'`n" + $runnable)
        Push-Location $work
        try {
            { $null = & $block 3>$null 6>$null } | Should -Not -Throw -Because "the example ran as:`n$runnable"
        }
        finally {
            Pop-Location
        }
    }
}
