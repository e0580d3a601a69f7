using System.Management.Automation;
using PgHa.Core;
using PgHa.Operations;
using PgHa.Operations.Checks;

namespace PgHa.Cmdlets;

/// <summary>
/// Test-PgHaNode (repmgr node check): the health of registered nodes from a replication point of view,
/// one object per check and node. Nodes piped in (Get-PgHaNode | Test-PgHaNode) are checked together,
/// at once, when the pipeline ends.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PgHaNode")]
[OutputType(typeof(PgHaCheckResult), typeof(bool))]
public sealed class TestPgHaNodeCommand : PgHaCheckCmdlet
{
    private readonly List<string> _entryPoints = [];
    private readonly List<string> _names = [];
    private bool _allNodes;

    /// <summary>Node names to check; wildcards allowed. All nodes when omitted. Binds from a piped node's Name.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used. Binds from a piped node's Conninfo.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    private protected override IReadOnlySet<PgHaCheckName> DefaultChecks => CheckRun.NodeChecks;

    protected override void ProcessRecord()
    {
        foreach (string conninfo in Conninfo)
        {
            if (!_entryPoints.Contains(conninfo))
            {
                _entryPoints.Add(conninfo);
            }
        }
        if (Name is null)
        {
            _allNodes = true;
        }
        else
        {
            _names.AddRange(Name);
        }
    }

    protected override void EndProcessing()
    {
        if (_entryPoints.Count == 0)
        {
            return;
        }
        var thresholds = Thresholds();
        var patterns = _names.Select(n => NodeNames.Pattern(n)).ToList();
        CheckReport? report = RunChecks(EntryPoints([.. _entryPoints]), name => _allNodes || patterns.Any(p => p.IsMatch(name)), thresholds);
        if (report is not null)
        {
            foreach (string name in _names.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)).Distinct(StringComparer.Ordinal))
            {
                if (!report.RegisteredNodes.Contains(name, StringComparer.Ordinal))
                {
                    WriteError(ToErrorRecord(NodeNames.NotFound(name, report.RegisteredNodes)));
                }
            }
        }
        WriteResults(report);
    }
}
