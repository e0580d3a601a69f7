using System.Management.Automation;
using PgHa.Conninfo;

namespace PgHa.Cmdlets;

/// <summary>
/// Base of the role-change cmdlets (switchover, promote, follow, rejoin): the node they act on comes from
/// the pipeline (Get-PgHaNode) or by name with -Conninfo of the cluster.
/// </summary>
public abstract class PgHaRoleChangeCmdlet : PgHaEventCmdlet
{
    protected const string InputObjectSet = "InputObject";
    protected const string NameSet = "Name";

    /// <summary>The node to act on, from Get-PgHaNode.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public PgHaNode? InputObject { get; set; }

    /// <summary>The registered name of the node to act on.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>
    /// The node's name and where to read the cluster: a piped node's metadata source, then the node itself
    /// (the source may be the very primary that is gone).
    /// </summary>
    protected (IReadOnlyList<ConnectionInfo> EntryPoints, string Name) TargetNode() =>
        ParameterSetName == InputObjectSet
            ? (EntryPoints([.. new[] { InputObject!.MetadataConninfo, InputObject.Conninfo }.Distinct()]), InputObject.Name)
            : (EntryPoints(Conninfo), Name);
}
