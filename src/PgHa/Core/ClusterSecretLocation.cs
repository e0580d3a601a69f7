namespace PgHa.Core;

/// <summary>
/// Where the cluster secret is looked for, first match wins: -SecretFile; the session variable
/// $PgHaClusterSecretFile (a runbook sets it once); the environment variable PGHA_CLUSTER_SECRET_FILE
/// (a systemd unit's Environment=, or processes a script starts); else ~/.pgha/cluster-secret of the user
/// the command runs as, the way libpq finds ~/.pgpass.
/// </summary>
internal static class ClusterSecretLocation
{
    public const string SessionVariable = "PgHaClusterSecretFile";
    public const string EnvironmentVariable = "PGHA_CLUSTER_SECRET_FILE";

    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pgha", "cluster-secret");

    /// <summary>The path to use, and whether it was asked for (a parameter or a variable) rather than the default: a missing file that was asked for is an error.</summary>
    public static (string Path, bool Explicit) Resolve(string? parameter, string? sessionVariable)
    {
        if (!string.IsNullOrWhiteSpace(parameter))
        {
            return (parameter, true);
        }
        if (!string.IsNullOrWhiteSpace(sessionVariable))
        {
            return (sessionVariable, true);
        }
        string? environment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(environment))
        {
            return (environment, true);
        }
        return (DefaultPath, false);
    }
}
