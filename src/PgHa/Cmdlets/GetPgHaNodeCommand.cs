using System.Management.Automation;
using PgHa.Core;
using PgHa.Operations;

namespace PgHa.Cmdlets;

/// <summary>Get-PgHaNode: registered nodes with their live status, one object per node.</summary>
[Cmdlet(VerbsCommon.Get, "PgHaNode", DefaultParameterSetName = "Name")]
[OutputType(typeof(PgHaNode))]
public sealed class GetPgHaNodeCommand : PgHaCmdlet
{
    /// <summary>Node names to return; wildcards allowed. All nodes when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Id")]
    public int[] Id { get; set; } = [];

    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used. Binds from a piped object's Conninfo (a sandbox, a node).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    protected override void ProcessRecord()
    {
        PgHaCluster cluster = ReadCluster(Conninfo);

        if (ParameterSetName == "Id")
        {
            foreach (int id in Id)
            {
                PgHaNode? node = cluster.Nodes.FirstOrDefault(n => n.Id == id);
                if (node is null)
                {
                    WriteError(ToErrorRecord(NotFound(id, $"No node with id {id} is registered.")));
                }
                else
                {
                    WriteObject(node);
                }
            }
            return;
        }

        if (Name is null)
        {
            WriteObject(cluster.Nodes, enumerateCollection: true);
            return;
        }
        foreach (string name in Name)
        {
            var pattern = NodeNames.Pattern(name);
            var matches = cluster.Nodes.Where(n => pattern.IsMatch(n.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ToErrorRecord(NodeNames.NotFound(name, cluster.Nodes.Select(n => n.Name))));
            }
            WriteObject(matches, enumerateCollection: true);
        }
    }

    private static PgHaException NotFound(object target, string message) =>
        new(PgHaErrorIds.NodeNotFound, target, message + " Get-PgHaNode without -Name lists the registered nodes.");
}
