using System.Management.Automation;
using PgHa.Operations.Checks;

namespace PgHa.Cmdlets;

/// <summary>
/// Test-PgHaCluster (repmgr cluster crosscheck and matrix, and the drift nobody checks): every node
/// checked at once, plus one primary, timelines, metadata, settings, libraries, extensions, pg_hba
/// replication rules, clocks and the reachability matrix. One object per check and node.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PgHaCluster")]
[OutputType(typeof(PgHaCheckResult), typeof(bool))]
public sealed class TestPgHaClusterCommand : PgHaCheckCmdlet
{
    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used. Binds from a piped sandbox's Conninfo or a cluster's MetadataConninfo.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("MetadataConninfo")]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    private protected override IReadOnlySet<PgHaCheckName> DefaultChecks => CheckRun.AllChecks;

    protected override void ProcessRecord()
    {
        var thresholds = Thresholds();
        WriteResults(RunChecks(EntryPoints(Conninfo), _ => true, thresholds));
    }
}
