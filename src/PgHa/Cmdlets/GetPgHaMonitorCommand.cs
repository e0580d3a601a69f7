using System.Management.Automation;
using PgHa.Core;
using PgHa.Operations;
using PgHa.Operations.Monitor;

namespace PgHa.Cmdlets;

/// <summary>Get-PgHaMonitor (repmgr service status): each node's monitor, asked live at its endpoint.</summary>
[Cmdlet(VerbsCommon.Get, "PgHaMonitor")]
[OutputType(typeof(PgHaMonitorStatus))]
public sealed class GetPgHaMonitorCommand : PgHaCmdlet
{
    /// <summary>libpq conninfo of any node; several may be given, the first that answers is used.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[] Conninfo { get; set; } = [];

    /// <summary>Only these nodes (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Seconds to wait for each monitor's answer.</summary>
    [Parameter]
    [ValidateRange(0.1, 60)]
    public double Timeout { get; set; } = 1;

    /// <summary>The cluster secret's file (mode 0600); by default $PgHaClusterSecretFile, $env:PGHA_CLUSTER_SECRET_FILE, or ~/.pgha/cluster-secret.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SecretFile { get; set; }

    /// <summary>With the secret, each reply's signature is checked; without it the statuses are shown unchecked (a status request needs no secret).</summary>
    private protected override ClusterSecret? ClusterSecretFor() => FindClusterSecret(SecretFile);

    protected override void ProcessRecord()
    {
        var entryPoints = EntryPoints(Conninfo);
        try
        {
            var patterns = (Name ?? ["*"]).Select(n => NodeNames.Pattern(n)).ToList();
            var statuses = RunEngine(context => MonitorStatusReader.ReadAsync(context, entryPoints, TimeSpan.FromSeconds(Timeout))).ToList();
            foreach (PgHaMonitorStatus status in statuses)
            {
                if (patterns.Any(p => p.IsMatch(status.Name)))
                {
                    WriteObject(status);
                }
            }
            // As Get-PgHaNode: a name without wildcards that matches no registered node is an error, a pattern is not.
            foreach (string name in (Name ?? []).Where(n => !WildcardPattern.ContainsWildcardCharacters(n)))
            {
                if (!statuses.Any(s => NodeNames.Same(s.Name, name)))
                {
                    WriteError(ToErrorRecord(NodeNames.NotFound(name, statuses.Select(s => s.Name))));
                }
            }
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }
}
