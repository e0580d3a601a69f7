using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations;

namespace PgHa.Cmdlets;

/// <summary>Get-PgHaEvent (repmgr cluster event): the event log, newest first.</summary>
[Cmdlet(VerbsCommon.Get, "PgHaEvent", DefaultParameterSetName = "Conninfo")]
[OutputType(typeof(PgHaEvent))]
public sealed class GetPgHaEventCommand : PgHaCmdlet
{
    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Conninfo")]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>Nodes from Get-PgHaNode: their events, read through the metadata they came from.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public PgHaNode[]? InputObject { get; set; }

    /// <summary>Only events of these nodes (names; wildcards allowed).</summary>
    [Parameter(ParameterSetName = "Conninfo")]
    [SupportsWildcards]
    public string[]? NodeName { get; set; }

    [Parameter(ParameterSetName = "Conninfo")]
    public int[]? NodeId { get; set; }

    /// <summary>Only these event types (standby_register, primary_register, ...; wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Event { get; set; }

    /// <summary>Only events at or after this time.</summary>
    [Parameter]
    public DateTime? After { get; set; }

    /// <summary>Only events at or before this time.</summary>
    [Parameter]
    public DateTime? Before { get; set; }

    /// <summary>Only successful ($true) or failed ($false) events.</summary>
    [Parameter]
    public bool? Successful { get; set; }

    /// <summary>At most this many events, newest first (0 = all). Like repmgr's --limit, 20 by default.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Limit { get; set; } = 20;

    private readonly List<PgHaNode> _nodes = [];

    protected override void ProcessRecord()
    {
        if (InputObject is not null)
        {
            _nodes.AddRange(InputObject);
        }
    }

    protected override void EndProcessing()
    {
        IReadOnlyList<ConnectionInfo> entryPoints;
        var nodeNames = NodeName;
        var nodeIds = NodeId;
        if (ParameterSetName == "InputObject")
        {
            if (_nodes.Count == 0)
            {
                return;
            }
            entryPoints = EntryPoints(_nodes.Select(n => n.MetadataConninfo).Distinct().ToArray());
            nodeIds = _nodes.Select(n => n.Id).ToArray();
        }
        else
        {
            entryPoints = EntryPoints(Conninfo);
        }

        var filter = new EventFilter(
            nodeNames?.Select(NodeNames.Pattern).ToList(),
            nodeIds,
            Event?.Select(e => new WildcardPattern(e, WildcardOptions.IgnoreCase)).ToList(),
            After is DateTime after ? new DateTimeOffset(after.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(after, DateTimeKind.Local) : after) : null,
            Before is DateTime before ? new DateTimeOffset(before.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(before, DateTimeKind.Local) : before) : null,
            Successful,
            Limit);
        try
        {
            WriteObject(RunEngine(context => EventLogReader.ReadAsync(context, entryPoints, filter)), enumerateCollection: true);
        }
        catch (PgHaException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
        }
    }
}
