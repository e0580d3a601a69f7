using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations;

namespace PgHa.Cmdlets;

/// <summary>
/// Register-PgHaNode (repmgr primary/standby/witness register): proves the node has the role, then records
/// it in the metadata on the primary. The same call again changes nothing (Changed = $false).
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "PgHaNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Conninfo")]
[OutputType(typeof(PgHaNodeRegistration))]
public sealed class RegisterPgHaNodeCommand : PgHaEventCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public PgHaRole Role { get; set; }

    /// <summary>The node's own libpq conninfo, as other nodes will reach it; its dbname is the metadata database (default pgha).</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Conninfo")]
    [ValidateNotNullOrEmpty]
    public string Conninfo { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = "Conninfo")]
    // An empty name reaches the node-name rule, whose PgHaNodeNameInvalid says what a name may hold.
    [AllowEmptyString]
    public string Name { get; set; } = string.Empty;

    /// <summary>Node id; by default the id already recorded for this name, else the next free one.</summary>
    [Parameter(ParameterSetName = "Conninfo")]
    [ValidateRange(1, int.MaxValue)]
    public int? Id { get; set; }

    [Parameter(ParameterSetName = "Conninfo")]
    [ValidateNotNullOrEmpty]
    public string Location { get; set; } = "default";

    /// <summary>Promotion priority; 0 means never promote this node.</summary>
    [Parameter(ParameterSetName = "Conninfo")]
    [ValidateRange(0, int.MaxValue)]
    public int Priority { get; set; } = 100;

    [Parameter(ParameterSetName = "Conninfo")]
    public string? DataDirectory { get; set; }

    [Parameter(ParameterSetName = "Conninfo")]
    public string? PgBinDir { get; set; }

    [Parameter(ParameterSetName = "Conninfo")]
    public string? SlotName { get; set; }

    /// <summary>The host PgHa reaches this node's OS through over SSH (pg_ctl, pg_basebackup); omit when PgHa runs on the node's host.</summary>
    [Parameter(ParameterSetName = "Conninfo")]
    [ValidateNotNullOrEmpty]
    public string? SshHost { get; set; }

    [Parameter(ParameterSetName = "Conninfo")]
    [ValidateRange(1, 65535)]
    public int? SshPort { get; set; }

    /// <summary>The OS user to log in as over SSH (the PostgreSQL OS user); postgres by default.</summary>
    [Parameter(ParameterSetName = "Conninfo")]
    [ValidateNotNullOrEmpty]
    public string? SshUser { get; set; }

    /// <summary>The TCP port this node's monitor (Start-PgHaMonitor) listens on, at the host of its conninfo; 7432 when not given.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int? MonitorPort { get; set; }

    /// <summary>A node configuration from Import-PgHaConfig (node id, name, conninfo, location, priority...).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Config")]
    public PgHaNodeConfig? Config { get; set; }

    /// <summary>Standbys: the node it must stream from. By default the node it does stream from.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Upstream { get; set; }

    /// <summary>Witness only: the conninfo of the current primary.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PrimaryConninfo { get; set; }

    /// <summary>Rewrite an existing record of this node (or take over from a registered primary that no longer runs as one).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        RegistrationRequest request = BuildRequest();
        if (ConnectionInfo.TryParse(ParameterSetName == "Config" ? Config!.Conninfo : Conninfo, out var parsed, out _) && parsed!.HasPassword)
        {
            WriteWarning("The conninfo holds a password; PgHa stores and shows it without. Keep passwords in ~/.pgpass or pass -Credential.");
        }
        try
        {
            RegistrationPlan plan = RunEngine(context => NodeRegistration.PlanAsync(context, request));
            if (!plan.NeedsWrite)
            {
                WriteVerbose($"'{plan.Record.Name}' is already registered with these settings; nothing to change.");
                WriteObject(plan.ToResult(PgHaRegistrationAction.Unchanged));
                return;
            }
            string action = plan.Decision.Action switch
            {
                PgHaRegistrationAction.Registered => $"Register as {Role.ToString().ToLowerInvariant()} (node id {plan.Record.Id})",
                PgHaRegistrationAction.Updated => $"Update the {Role.ToString().ToLowerInvariant()} record (node id {plan.Record.Id})",
                _ when plan.SchemaUpgradeNeeded => "Upgrade the PgHa metadata schema",
                _ => "Refresh the witness's copy of the node records",
            };
            if (!ShouldProcess(plan.Record.Name, action))
            {
                return;
            }
            WriteObject(RunEngine(context => NodeRegistration.ApplyAsync(context, plan)));
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }

    private RegistrationRequest BuildRequest()
    {
        ValidateName(ParameterSetName == "Config" ? Config!.NodeName : Name);
        if (Upstream is not null && Role != PgHaRole.Standby)
        {
            NotApplicable(nameof(Upstream), "only a standby has an upstream");
        }
        if (PrimaryConninfo is not null && Role != PgHaRole.Witness)
        {
            NotApplicable(nameof(PrimaryConninfo), "only a witness needs it: a primary is the primary, and a standby finds it through its metadata and upstream");
        }
        ConnectionInfo? primary = PrimaryConninfo is null ? null : ParseConninfoParameter(PrimaryConninfo, nameof(PrimaryConninfo));
        if (ParameterSetName == "Config")
        {
            PgHaNodeConfig config = Config!;
            return new RegistrationRequest(
                Role,
                ParseConninfoParameter(config.Conninfo, "Config.Conninfo"),
                config.NodeName,
                config.NodeId,
                config.Location,
                config.Priority,
                Upstream,
                string.IsNullOrEmpty(config.DataDirectory) ? null : config.DataDirectory,
                config.PgBinDir,
                null,
                primary,
                Force,
                config.SshHost,
                config.SshPort,
                config.SshUser,
                MonitorPort);
        }
        return new RegistrationRequest(Role, ParseConninfoParameter(Conninfo, nameof(Conninfo)), Name, Id, Location, Priority,
            Upstream, DataDirectory, PgBinDir, SlotName, primary, Force, SshHost, SshPort, SshUser, MonitorPort);
    }

    private void NotApplicable(string parameter, string why) =>
        ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.ParameterNotApplicable, parameter,
            $"-{parameter} does not apply to -Role {Role}: {why}. Leave it out.")));
}
