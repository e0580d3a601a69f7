namespace PgHa;

/// <summary>
/// What Test-PgHaNode and Test-PgHaCluster found for one check. The values are the Nagios/Icinga plugin
/// exit codes, so a scheduler can turn the worst status into its exit code directly. (PgHaCheckStatus is
/// New-PgHaStandby's pass/fail verdict before a clone and has no Unknown: a check that could not be made
/// is not a check that failed.)
/// </summary>
public enum PgHaHealthStatus
{
    Ok = 0,
    Warning = 1,
    Critical = 2,

    /// <summary>The check could not be made (the node did not answer, a view was not readable); the message says why.</summary>
    Unknown = 3,
}
