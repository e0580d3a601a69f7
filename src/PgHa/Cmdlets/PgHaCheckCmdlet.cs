using System.Management.Automation;
using PgHa.Conninfo;
using PgHa.Core;
using PgHa.Operations.Checks;

namespace PgHa.Cmdlets;

/// <summary>
/// What Test-PgHaNode and Test-PgHaCluster share: the thresholds (repmgr's defaults where repmgr has the
/// check), -Check to pick checks, -Quiet for one boolean, and the run that writes results or the boolean.
/// </summary>
public abstract class PgHaCheckCmdlet : PgHaCmdlet
{
    /// <summary>Only these checks; each cmdlet has its own default set.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public PgHaCheckName[]? Check { get; set; }

    /// <summary>Return one boolean: $true when every check is Ok.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <summary>Replay lag in seconds above which a standby is Warning (repmgr replication_lag_warning).</summary>
    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double LagWarning { get; set; } = 300;

    /// <summary>Replay lag in seconds above which a standby is Critical (repmgr replication_lag_critical).</summary>
    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double LagCritical { get; set; } = 600;

    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long LagWarningBytes { get; set; } = 64L << 20;

    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long LagCriticalBytes { get; set; } = 1L << 30;

    /// <summary>WAL files waiting to be archived above which a node is Warning (repmgr archive_ready_warning).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int ArchiveReadyWarning { get; set; } = 16;

    /// <summary>... Critical (repmgr archive_ready_critical).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int ArchiveReadyCritical { get; set; } = 128;

    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long SlotWalWarningBytes { get; set; } = 1L << 30;

    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long SlotWalCriticalBytes { get; set; } = 8L << 30;

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double ClockSkewWarning { get; set; } = 1;

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double ClockSkewCritical { get; set; } = 10;

    /// <summary>Seconds each monitor has to answer its status request.</summary>
    [Parameter]
    [ValidateRange(0.1, 60)]
    public double MonitorTimeout { get; set; } = 1;

    private protected abstract IReadOnlySet<PgHaCheckName> DefaultChecks { get; }

    private protected CheckThresholds Thresholds()
    {
        var thresholds = new CheckThresholds
        {
            LagWarningSeconds = LagWarning,
            LagCriticalSeconds = LagCritical,
            LagWarningBytes = LagWarningBytes,
            LagCriticalBytes = LagCriticalBytes,
            ArchiveReadyWarning = ArchiveReadyWarning,
            ArchiveReadyCritical = ArchiveReadyCritical,
            SlotWalWarningBytes = SlotWalWarningBytes,
            SlotWalCriticalBytes = SlotWalCriticalBytes,
            ClockSkewWarningSeconds = ClockSkewWarning,
            ClockSkewCriticalSeconds = ClockSkewCritical,
            MonitorTimeout = TimeSpan.FromSeconds(MonitorTimeout),
        };
        if (thresholds.FirstInverted() is string inverted)
        {
            ThrowTerminatingError(ToErrorRecord(new PgHaException(PgHaErrorIds.CheckThresholdInvalid, inverted,
                $"{inverted}: a warning threshold must not be above its critical one. Raise the critical threshold or lower the warning.")));
        }
        return thresholds;
    }

    /// <summary>Runs the checks; null when the cluster could not be read (the error record is written).</summary>
    private protected CheckReport? RunChecks(IReadOnlyList<ConnectionInfo> entryPoints, Func<string, bool> selectNode, CheckThresholds thresholds)
    {
        IReadOnlySet<PgHaCheckName> checks = Check is null ? DefaultChecks : Check.ToHashSet();
        try
        {
            return RunEngine(context => CheckRun.RunAsync(context, entryPoints, selectNode, checks, thresholds));
        }
        catch (PgHaException ex)
        {
            WriteError(ToErrorRecord(ex));
            return null;
        }
    }

    /// <summary>Writes the results, or under -Quiet one boolean (false also when the cluster could not be read).</summary>
    private protected void WriteResults(CheckReport? report)
    {
        if (Quiet)
        {
            WriteObject(report is not null && report.Results.Count > 0 && report.Results.All(r => r.Status == PgHaHealthStatus.Ok));
            return;
        }
        if (report is not null)
        {
            WriteObject(report.Results, enumerateCollection: true);
        }
    }
}
