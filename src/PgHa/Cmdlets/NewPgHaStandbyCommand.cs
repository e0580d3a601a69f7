using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Metadata;
using PgHa.Operations.Clone;
using PgHa.Operations.Host;

namespace PgHa.Cmdlets;

/// <summary>
/// New-PgHaStandby (repmgr standby clone): clones a standby from a registered primary or standby with
/// pg_basebackup on the target host, after checks that -WhatIf stops at. With -Force it rebuilds a failed
/// node in one line: New-PgHaStandby ... -Force -Start -Register.
/// </summary>
// High: with -Force it replaces a data directory's contents (STYLE: anything that wipes one is High).
[Cmdlet(VerbsCommon.New, "PgHaStandby", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "Source")]
[OutputType(typeof(PgHaStandbyClone), typeof(PgHaCloneCheck))]
public sealed class NewPgHaStandbyCommand : PgHaEventCmdlet
{
    /// <summary>The node to clone from (a primary, or a standby for a cascading standby), from Get-PgHaNode.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Source")]
    public PgHaNode? Source { get; set; }

    /// <summary>The conninfo of the server to clone from, when it is not given as a node object.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "SourceConninfo")]
    [ValidateNotNullOrEmpty]
    public string? SourceConninfo { get; set; }

    /// <summary>The new standby's name: its application_name upstream, its slot name, its record.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    // An empty name reaches the node-name rule, whose PgHaNodeNameInvalid says what a name may hold.
    [AllowEmptyString]
    public string Name { get; set; } = string.Empty;

    /// <summary>The data directory to create on the target host.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string DataDirectory { get; set; } = string.Empty;

    /// <summary>The new standby's own conninfo (how it will be reached); needed for -Start (to see it stream) and -Register.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Conninfo { get; set; }

    /// <summary>The target's PostgreSQL programs; by default /usr/lib/postgresql/&lt;source major&gt;/bin.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PgBinDir { get; set; }

    /// <summary>The host to clone onto, over SSH; omit to clone onto this machine.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SshHost { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int? SshPort { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SshUser { get; set; }

    /// <summary>The user for the replication connection; by default the source conninfo's user.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ReplicationUser { get; set; }

    /// <summary>Fast (default) starts the copy at once; Spread waits for the source's next scheduled checkpoint.</summary>
    [Parameter]
    [ValidateSet("Fast", "Spread")]
    public string Checkpoint { get; set; } = "Fast";

    /// <summary>Stream through a physical replication slot on the upstream, named after the node (pgha_&lt;name&gt;) unless -SlotName says otherwise.</summary>
    [Parameter]
    public SwitchParameter UseReplicationSlot { get; set; }

    [Parameter]
    [ValidatePattern(@"^[a-z0-9_]{1,63}\z")]
    public string? SlotName { get; set; }

    /// <summary>Replace a stopped PostgreSQL data directory, or a clone that did not finish (never a running server's, never the current primary's).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// Delete the contents of a non-empty directory that is not a PostgreSQL data directory and clone into it.
    /// Its own switch, not -Force: those files may be anyone's. A running server's or the primary's files are never deleted.
    /// </summary>
    [Parameter]
    public SwitchParameter AllowNonEmpty { get; set; }

    /// <summary>Start the standby and wait until it streams.</summary>
    [Parameter]
    public SwitchParameter Start { get; set; }

    /// <summary>Register the standby (Register-PgHaNode -Role Standby) once it streams; implies -Start.</summary>
    [Parameter]
    public SwitchParameter Register { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Location { get; set; } = "default";

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Priority { get; set; } = 100;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Id { get; set; }

    /// <summary>
    /// Settings for this node only (listen_addresses, port, ...), written into the clone's
    /// postgresql.auto.conf, which otherwise holds its source's.
    /// </summary>
    [Parameter]
    public System.Collections.IDictionary? ServerSettings { get; set; }

    /// <summary>pg_basebackup --max-rate: the most the copy may read per second from the source (e.g. 50M), to spare a busy primary.</summary>
    [Parameter]
    [ValidatePattern(@"^[0-9]+[kM]?\z")]
    public string? MaxRate { get; set; }

    /// <summary>Seconds to wait for the standby to start and stream.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Wait { get; set; } = 60;

    protected override void ProcessRecord()
    {
        CloneRequest request = BuildRequest();
        try
        {
            ClonePlan plan = RunEngine(context => StandbyClone.PlanAsync(context, request));
            foreach (PgHaCloneCheck check in plan.Checks)
            {
                WriteVerbose($"[{check.Status}] {check.Check}: {check.Message}");
                if (check.Status == PgHaCheckStatus.Warning)
                {
                    WriteWarning(check.Message);
                }
            }
            var failed = plan.Checks.Where(c => c.Status == PgHaCheckStatus.Failed).ToList();
            foreach (PgHaCloneCheck check in failed)
            {
                WriteError(ToErrorRecord(new PgHaException(check.ErrorId!, Name, check.Message)));
            }
            string action = plan.TargetNotEmpty
                ? $"Replace the contents of '{DataDirectory}' with a clone of {plan.SourceDisplay}"
                : $"Clone {plan.SourceDisplay} into '{DataDirectory}'";
            if (failed.Count > 0)
            {
                if (IsDryRun())
                {
                    WriteObject(plan.Checks, enumerateCollection: true);
                }
                return;
            }
            if (!ShouldProcess($"Performing the operation \"{action}\" on target \"{Name}\".", action + "?", "New-PgHaStandby", out ShouldProcessReason reason))
            {
                // -WhatIf is repmgr's --dry-run: the checks are the answer.
                if (reason == ShouldProcessReason.WhatIf)
                {
                    WriteObject(plan.Checks, enumerateCollection: true);
                }
                return;
            }
            WriteObject(RunEngine(context => StandbyClone.ApplyAsync(context, plan)));
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
        }
    }

    private bool IsDryRun() =>
        (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? whatIf) && whatIf is SwitchParameter { IsPresent: true })
        || (SessionState.PSVariable.GetValue("WhatIfPreference") is SwitchParameter { IsPresent: true } or true);

    /// <summary>
    /// The piped node's conninfo is its registered one: one that cannot be used is reported as that node's
    /// (PgHaConninfoInvalid naming it, with what to do), never as a parameter the user did not type.
    /// </summary>
    private ConnectionInfo PipedSourceConninfo(PgHaNode node)
    {
        if (string.IsNullOrWhiteSpace(node.Conninfo))
        {
            ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.ConninfoInvalid, node.Name,
                $"The piped node {MessageText.Quote(node.Name)} has no conninfo to clone from. Pipe the node as Get-PgHaNode returns it, or give -SourceConninfo.")));
        }
        try
        {
            return RegisteredConninfo.Parse(node.Name, node.Conninfo);
        }
        catch (PgHaException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
            throw;
        }
    }

    private CloneRequest BuildRequest()
    {
        ValidateName(Name);
        ConnectionInfo source = Source is not null
            ? PipedSourceConninfo(Source)
            : ParseConninfoParameter(SourceConninfo!, nameof(SourceConninfo));
        ConnectionInfo? own = Conninfo is null ? null : ParseConninfoParameter(Conninfo, nameof(Conninfo));
        bool start = Start || Register;
        if (own is null && start)
        {
            ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.ConninfoRequired, Name,
                "-Start and -Register need the new standby's own -Conninfo, to see it stream and to record how it is reached.")));
        }
        string? slot = SlotName ?? (UseReplicationSlot ? SlotNames.ForNode(Name) : null);
        if (MaxRate is not null && !MaxRateIsValid(MaxRate))
        {
            // Checked here, not by pg_basebackup: with -Force the old contents would already be gone.
            ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.MaxRateInvalid, MaxRate,
                $"-MaxRate '{MaxRate}' is outside what pg_basebackup accepts: 32k to 1024M (kilobytes per second without a suffix). Give a rate in that range, such as 50M.")));
        }
        var target = new NodeHost(Name, GetUnresolvedDataDirectory(), PgBinDir, SshHost, SshPort, SshUser);
        return new CloneRequest(target, source, Source?.Name, own, ReplicationUser, Checkpoint == "Fast", slot, Force, start, Register,
            Location, Priority, Id, TimeSpan.FromSeconds(Wait), ServerSettingsText(), MaxRate, AllowNonEmpty);
    }

    private static bool MaxRateIsValid(string rate)
    {
        long factor = rate.EndsWith('M') ? 1024 : 1;
        string digits = rate.TrimEnd('k', 'M');
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)
            && value * factor is >= 32 and <= 1024 * 1024;
    }

    private Dictionary<string, string> ServerSettingsText()
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (ServerSettings is null)
        {
            return settings;
        }
        foreach (System.Collections.DictionaryEntry entry in ServerSettings)
        {
            string name = LanguagePrimitives.ConvertTo<string>(entry.Key);
            if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z_][A-Za-z0-9_.]*$") || name is "primary_conninfo" or "primary_slot_name")
            {
                ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.ServerSettingInvalid, name,
                    $"'{name}' cannot be set through -ServerSettings: give plain PostgreSQL parameter names; primary_conninfo and primary_slot_name are PgHa's to write.")));
            }
            settings[name] = entry.Value is bool flag ? (flag ? "on" : "off") : LanguagePrimitives.ConvertTo<string>(entry.Value);
        }
        return settings;
    }

    /// <summary>A local path may be relative to the current location; a remote one is taken as written.</summary>
    private string GetUnresolvedDataDirectory()
    {
        // Resolved against the current folder, blanks would name a folder "   " there: a value lost on the way.
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.DirectoryPathInvalid, DataDirectory,
                "-DataDirectory is blank. Give the full path of the new standby's data directory, such as /var/lib/postgresql/15/main.")));
        }
        return SshHost is null ? GetUnresolvedProviderPathFromPSPath(DataDirectory) : DataDirectory;
    }
}
