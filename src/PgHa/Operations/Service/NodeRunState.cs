using PgHa.Operations.Host;

namespace PgHa.Operations.Service;

/// <summary>
/// Whether a node's server runs (pg_ctl status) and, when pg_control could be read, the state its data
/// directory was left in: enough to tell a running primary from a standby without a database connection.
/// </summary>
internal sealed record NodeRunState(bool IsRunning, int? Pid, PgControlData? ControlData)
{
    /// <summary>pg_control says "in production": the directory belongs to a server running (or crashed) as a primary.</summary>
    public bool InProduction => ControlData?.ClusterState == "in production";
}
